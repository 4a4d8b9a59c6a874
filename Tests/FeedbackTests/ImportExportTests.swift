// TRL preference files and task files: round trips, line-numbered errors, all-or-nothing imports.

import Foundation
import Testing
@testable import Feedback
import FeedbackTestSupport

private func write(_ text: String, named name: String) throws -> URL {
    let url = try temporaryDirectory().appendingPathComponent(name)
    try text.write(to: url, atomically: true, encoding: .utf8)
    return url
}

@Test(arguments: StoreBackend.all) func preferenceFilesRoundTrip(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
    let lines = [
        PreferenceLine(prompt: "The plot", chosen: "moves briskly", rejected: "drags \"badly\"\n"),
        PreferenceLine(prompt: "Its cast", chosen: "shines", rejected: "<script>x</script>"),
    ]
    let input = try temporaryDirectory().appendingPathComponent("in.jsonl")
    try JSONLines.write(lines, to: input)
    let imported = try JSONLines.read(PreferenceLine.self, from: input)
    #expect(try await store.importPreferences(imported, annotatorName: "trl-import") == ImportReport(imported: 2))
    let pairs = try await store.preferencePairs()
    #expect(pairs.map { PreferenceLine(prompt: $0.prompt, chosen: $0.chosen, rejected: $0.rejected) } == lines)
    let output = input.deletingLastPathComponent().appendingPathComponent("out.jsonl")
    try JSONLines.write(pairs.map { PreferenceLine(prompt: $0.prompt, chosen: $0.chosen, rejected: $0.rejected) }, to: output)
    #expect(try Data(contentsOf: output) == Data(contentsOf: input))
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: input.deletingLastPathComponent().path)
    #expect(Set(leftovers) == ["in.jsonl", "out.jsonl"])
}

@Test(arguments: StoreBackend.all) func malformedLinesAreNamedAndNothingIsImported(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
    let good = #"{"prompt": "p", "chosen": "a", "rejected": "b"}"#
    let cases: [(String, FileFormatError)] = [
        (good + "\n\n" + #"{"prompt": "p", "chosen": "a"}"#,
         FileFormatError(file: "f", line: 3, field: "rejected", reason: "is missing")),
        (good + "\n" + #"{"prompt": [{"role": "user"}], "chosen": "a", "rejected": "b"}"#,
         FileFormatError(file: "f", line: 2, field: "prompt", reason: "must be a string")),
        (good + "\r\n" + #"{"prompt": "p", "#,
         FileFormatError(file: "f", line: 2, reason: "not valid JSON")),
    ]
    for (text, expected) in cases {
        #expect(throws: expected) { try JSONLines.decode(PreferenceLine.self, text: text, source: "f") }
    }
    // A line that parses but fails a store check (a blank prompt) rolls back the whole file.
    let lines = try JSONLines.decode(PreferenceLine.self, text: good + "\n" + good + "\n" + #"{"prompt": " ", "chosen": "a", "rejected": "b"}"#, source: "f")
    await #expect(throws: FileFormatError(file: "f", line: 3, reason: "field 'prompt': must not be empty")) {
        try await store.importPreferences(lines, annotatorName: "importer", source: "f")
    }
    let counts = try await store.counts()
    #expect(counts.prompts == 0 && counts.tasks == 0 && counts.judgments == 0 && counts.completions == 0)
}

@Test(arguments: StoreBackend.all) func taskFilesCarryProvenanceAndValidateEachLine(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
    let text = """
        {"prompt": "Opening", "completions": [{"text": "a", "model": "sft", "checkpoint": "runs/sft", "seed": 7, "sampling": {"temperature": 0.8, "topK": 40}}, {"text": "b", "model": "ppo"}]}
        {"prompt": "Second", "completions": [{"text": "c", "model": "sft"}, {"text": "d", "model": "ppo"}, {"text": "e", "model": "base"}]}
        """
    let url = try write(text, named: "tasks.jsonl")
    #expect(try await store.importTasks(try JSONLines.read(TaskLine.self, from: url), source: url.path) == ImportReport(imported: 2))
    let details = try await store.taskDetails(id: 1)
    #expect(details.completions[0].provenance == Provenance(
        model: "sft", checkpoint: "runs/sft", sampling: SamplingParameters(temperature: 0.8, topK: 40), seed: 7))
    #expect(try await store.taskDetails(id: 2).completions.count == 3)
    let bad = try write(text + "\n" + #"{"prompt": "Third", "completions": [{"text": "only", "model": "sft"}]}"#, named: "bad.jsonl")
    await #expect(throws: FileFormatError(file: bad.path, line: 3, reason: "a comparison task needs at least 2 completions, not 1")) {
        try await store.importTasks(try JSONLines.read(TaskLine.self, from: bad), source: bad.path)
    }
    let missingModel = #"{"prompt": "x", "completions": [{"text": "a"}, {"text": "b", "model": "m"}]}"#
    #expect(throws: FileFormatError(file: "m", line: 1, field: "completions.0.model", reason: "is missing")) {
        try JSONLines.decode(TaskLine.self, text: missingModel, source: "m")
    }
    // A byte that is not UTF-8 on the second line is named there, not as line 0.
    let latin1 = FileManager.default.temporaryDirectory.appendingPathComponent("latin1-\(UUID().uuidString).jsonl")
    try (Data(text.split(separator: "\n")[0].utf8) + Data("\n{\"prompt\": \"caf".utf8) + Data([0xE9]) + Data("\"}".utf8)).write(to: latin1)
    defer { try? FileManager.default.removeItem(at: latin1) }
    #expect(throws: FileFormatError(file: latin1.path, line: 2, reason: "not UTF-8 text: the byte 0xE9, byte 16 of the line, starts no valid UTF-8 character")) {
        try JSONLines.read(TaskLine.self, from: latin1)
    }
    #expect(try await store.counts().tasks == 2)
}

@Test(arguments: StoreBackend.all) func rankingsExportAsTheirImpliedPairsAndAsRankingLines(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
    let annotator = try await store.createAnnotator(name: "a", role: .annotator).annotator.id!
    let task = try await makeTask(store, models: ["x", "y", "z"])
    let ids = task.completions.map { $0.id! }
    try await store.submit(.ranking(task: task.task.id!, bestFirst: [ids[1], ids[2], ids[0]]), by: annotator)
    let ranked = try await store.rankedComparisons()
    #expect(ranked.count == 1)
    let line = RankingLine(ranked[0])
    #expect(line.completions.map(\.tier) == [2, 0, 1] && line.annotator == "a" && !line.bothBad)
    #expect(try await store.preferencePairs().count == 3)
    let missing = URL(fileURLWithPath: "/nonexistent-dir-\(UUID().uuidString)/x.jsonl")
    #expect(throws: FileFormatError.self) { try JSONLines.read(PreferenceLine.self, from: missing) }
}
