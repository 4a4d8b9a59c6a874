// Comparisons in and out: TRL pairs and ranking lines from JSONL with named errors, and the
// store's judgments.
import Feedback
import FeedbackComparisons
import Foundation
import RewardModeling
import Testing

func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-comparisons-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Suite struct ComparisonSourceTests {
    @Test func readsPairsAndRankings() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("comparisons.jsonl")
        try """
            {"prompt": "Q", "chosen": "good", "rejected": "bad", "extra": 1}

            {"prompt": "R", "completions": [{"text": "a", "tier": 1, "model": "m"}, {"text": "b", "tier": 0}, {"text": "c", "tier": 1}], "annotator": "ann", "group": "g", "weight": 0.5}
            """.write(to: file, atomically: true, encoding: .utf8)
        let comparisons = try ComparisonSource.read(file)
        #expect(comparisons == [
            Comparison(prompt: "Q", chosen: "good", rejected: "bad"),
            Comparison(prompt: "R", responses: ["a", "b", "c"], tiers: [1, 0, 1], annotator: "ann", weight: 0.5, group: "g"),
        ])
        #expect(comparisons[1].hasTies)
        #expect(comparisons[1].orderedPairs.map { [$0.better, $0.worse] } == [[1, 0], [1, 2]])
        // What `write` writes, `read` reads back.
        let copy = folder.appendingPathComponent("copy.jsonl")
        try ComparisonSource.write(comparisons, to: copy)
        #expect(try ComparisonSource.read(copy) == comparisons)
    }

    @Test func malformedLinesAreNamed() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("bad.jsonl")
        try "{\"prompt\": \"Q\", \"chosen\": \"a\", \"rejected\": \"b\"}\n{\"prompt\": \"Q\", \"chosen\": \"a\"}\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: RewardDataError.malformedLine(path: file.path, line: 2, field: "rejected", reason: "is missing")) {
            try ComparisonSource.read(file)
        }
        try "{\"prompt\": \"Q\", \"completions\": [{\"text\": \"a\", \"tier\": 0}]}\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: RewardDataError.malformedLine(path: file.path, line: 1, field: "responses", reason: "has 1; a comparison needs at least 2")) {
            try ComparisonSource.read(file)
        }
        try "not json\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: RewardDataError.self) { try ComparisonSource.read(file) }
        try "\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: RewardDataError.empty(source: file.path)) { try ComparisonSource.read(file) }
    }

    @Test func storeJudgmentsBecomeComparisons() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("feedback.sqlite").path
        let store = try FeedbackStore(path: path)
        let lines = [PreferenceLine(prompt: "P", chosen: "x", rejected: "y"), PreferenceLine(prompt: "Q", chosen: "u", rejected: "v")]
        try await store.importPreferences(lines.numberedAsLines(), annotatorName: "alice")
        #expect(try await ComparisonSource.store(at: path) == [
            Comparison(prompt: "P", chosen: "x", rejected: "y", annotator: "alice"),
            Comparison(prompt: "Q", chosen: "u", rejected: "v", annotator: "alice"),
        ])
        // Reading never creates a store: a mistyped path is refused and stays absent.
        let none = folder.appendingPathComponent("none.sqlite").path
        await #expect(throws: FeedbackDatabaseError.self) { try await ComparisonSource.store(at: none) }
        #expect(!FileManager.default.fileExists(atPath: none))
    }
}
