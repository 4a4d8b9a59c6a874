// Comparisons as the reward model reads them: ranking by a score, validation by field, the
// split by prompt, and Rotten Tomatoes pairs split by movie.
import Corpora
import Foundation
import Testing
import RewardModeling
import TrainingRuns

func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-reward-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Suite struct DataTests {
    @Test func rankingByAScoreTiesEqualScores() {
        let comparison = Comparison(prompt: "p", responses: ["b", "a", "c", "a2"], tiers: [0, 0, 0, 0])
        let values = ["a": 1.0, "a2": 1.0, "b": 3.0, "c": -2.0]
        let ranked = comparison.ranked(by: { values[$0] ?? 0 }, annotator: "judge")
        #expect(ranked.tiers == [0, 1, 2, 1] && ranked.annotator == "judge" && ranked.responses == comparison.responses)
    }

    @Test func validationNamesTheField() {
        #expect(throws: RewardDataError.invalidComparison(index: 3, field: "tiers", reason: "has 1 entries for 2 responses")) {
            try Comparison(prompt: "", responses: ["a", "b"], tiers: [0]).validate(index: 3)
        }
        #expect(throws: RewardDataError.invalidComparison(index: 0, field: "weight", reason: "must be a finite value ≥ 0, got -1.0")) {
            try Comparison(prompt: "", chosen: "a", rejected: "b", weight: -1).validate(index: 0)
        }
    }

    @Test func splitKeepsEveryPromptOnOneSide() {
        let comparisons = (0..<400).map { Comparison(prompt: "prompt \($0 % 40)", chosen: "a\($0)", rejected: "b") }
        let (training, heldOut) = HeldOutSplit(period: 5).split(comparisons)
        #expect(training.count + heldOut.count == 400)
        #expect(!heldOut.isEmpty && heldOut.count < 200)
        #expect(Set(training.map(\.prompt)).isDisjoint(with: heldOut.map(\.prompt)))
        #expect(HeldOutSplit(period: 0).split(comparisons).heldOut.isEmpty)
    }

    @Test func rottenTomatoesPairsAreWithinMovieAndSplitByMovie() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let csv = folder.appendingPathComponent("rt.csv")
        var lines = ["category,text,movie_name,has_plot_and_reviews", "plot,\"A plot, quoted\",m0,True"]
        for movie in 0..<30 {
            for i in 0..<6 {
                lines.append("\(i < 4 ? "fresh" : "rotten"),movie \(movie) review \(i) is \(i < 4 ? "great fun" : "dull and long"),m\(movie),True")
            }
        }
        try lines.joined(separator: "\n").write(to: csv, atomically: true, encoding: .utf8)
        let snippets = try RottenTomatoes.snippets(at: csv)
        let data = RottenTomatoesData(snippets: snippets, split: HeldOutSplit(period: 4), pairsPerSnippet: 1, seed: 3)
        let trainingMovies = Set(data.trainingPairs.compactMap(\.group)), heldOutMovies = Set(data.heldOutPairs.compactMap(\.group))
        #expect(!heldOutMovies.isEmpty && trainingMovies.isDisjoint(with: heldOutMovies))
        #expect(trainingMovies.count + heldOutMovies.count == 30)
        // 4 fresh × 2 rotten = 8 possible pairs; one per snippet of the larger class = 4.
        #expect(data.trainingPairs.count == 4 * trainingMovies.count)
        for pair in data.trainingPairs + data.heldOutPairs {
            #expect(pair.responses[0].hasSuffix("great fun") && pair.responses[1].hasSuffix("dull and long"))
            #expect(pair.responses[0].hasPrefix("movie \(pair.group!.dropFirst()) "))
        }
        #expect(data.heldOutTexts.count == 6 * heldOutMovies.count)
        #expect(data.heldOutTexts.filter(\.label).count == 4 * heldOutMovies.count)
        #expect(Set(data.trainingPrompts).isDisjoint(with: data.heldOutPrompts))
        #expect(data.demonstrations.count == 6 * trainingMovies.count)
    }
}
