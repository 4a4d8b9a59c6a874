// VADER's sentiment lexicon with the ten individual human ratings kept for every token.

import Foundation

/// A lexicon line could not be read.
package struct LexiconError: Error, CustomStringConvertible, Equatable {
    /// The file (or the name given for in-memory text).
    package var source: String
    /// The 1-based line number.
    package var line: Int
    /// What was wrong with it.
    package var reason: String

    package var description: String { "\(line > 0 ? "\(source):\(line)" : source): \(reason)" }
}

/// Token → the ratings each of VADER's ten human raters gave it (−4 very negative … +4 very positive).
///
/// Keeping the individual columns rather than only the mean is what lets simulated annotators
/// disagree the way real people did.
package struct RaterLexicon: Sendable {
    /// One token's ratings.
    package struct Entry: Sendable, Equatable {
        /// The mean rating VADER lists (mean of `ratings`, as published).
        package var mean: Double
        /// The individual raters' ratings, one per rater column.
        package var ratings: [Double]
    }

    /// Number of rater columns (10 in VADER).
    package let raterCount: Int
    private let entries: [String: Entry]

    /// Looks up a token as the lexicon spells it. Like VADER, callers look up lower-cased text, so
    /// the few entries spelled with capitals (":D") are never matched, and a repeated token keeps
    /// its last line.
    package subscript(token: String) -> Entry? { entries[token] }

    /// Number of tokens.
    package var count: Int { entries.count }

    /// Builds a lexicon from entries; every entry must have `raterCount` ratings.
    package init(entries: [String: Entry], raterCount: Int) {
        precondition(entries.values.allSatisfy { $0.ratings.count == raterCount }, "every entry needs \(raterCount) ratings")
        self.entries = entries
        self.raterCount = raterCount
    }

    /// Reads VADER's `vader_lexicon.txt` (token TAB mean TAB std TAB [r1, ..., r10]).
    package init(contentsOf url: URL) throws {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw LexiconError(source: url.path, line: 0, reason: "cannot read the lexicon: \(error.localizedDescription)")
        }
        try self.init(text: text, source: url.path)
    }

    /// Parses lexicon text; `source` names it in errors.
    package init(text: String, source: String) throws {
        var entries: [String: Entry] = [:]
        var raterCount: Int?
        // VADER ships CRLF lines; Swift reads "\r\n" as one newline Character.
        for (offset, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            guard !line.allSatisfy(\.isWhitespace) else { continue }
            let fail = { (reason: String) in LexiconError(source: source, line: offset + 1, reason: reason) }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 4 else { throw fail("expected 4 tab-separated fields, found \(fields.count)") }
            guard let mean = Double(fields[1].trimmingCharacters(in: .whitespaces)) else {
                throw fail("mean rating '\(fields[1])' is not a number")
            }
            let ratings = try Self.ratings(fields[3], fail: fail)
            if let expected = raterCount, ratings.count != expected {
                throw fail("expected \(expected) ratings, found \(ratings.count)")
            }
            raterCount = ratings.count
            entries[String(fields[0])] = Entry(mean: mean, ratings: ratings)
        }
        guard let raterCount else { throw LexiconError(source: source, line: 0, reason: "the lexicon is empty") }
        self.init(entries: entries, raterCount: raterCount)
    }

    private static func ratings(_ field: Substring, fail: (String) -> LexiconError) throws -> [Double] {
        let trimmed = field.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("["), trimmed.hasSuffix("]") else {
            throw fail("ratings '\(trimmed)' are not a bracketed list")
        }
        let items = trimmed.dropFirst().dropLast().split(separator: ",")
        let ratings = items.compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard ratings.count == items.count, !ratings.isEmpty else {
            throw fail("ratings '\(trimmed)' must be a non-empty list of numbers")
        }
        return ratings
    }
}
