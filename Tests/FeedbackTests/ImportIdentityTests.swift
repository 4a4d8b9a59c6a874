// Imports that run twice, contradict the store, meet an export of it, race each other, or meet a
// store from before content keys: none may store a task or a judgment twice.

import Foundation
import Testing
@testable import Feedback
import FeedbackTestSupport

private func taskLines(_ text: String, source: String) throws -> [NumberedLine<TaskLine>] {
    try JSONLines.decode(TaskLine.self, text: text, source: source)
}

private let twoTasks = """
    {"prompt": "Opening", "completions": [{"text": "a", "model": "sft", "seed": 7}, {"text": "b", "model": "ppo"}]}
    {"prompt": "Second", "completions": [{"text": "c", "model": "sft"}, {"text": "d", "model": "ppo"}, {"text": "e", "model": "base"}]}
    """

@Test(arguments: StoreBackend.all) func importingAFileAgainStoresNothingAndSaysSo(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
    // The third line is the first one's task with its answers listed the other way round and
    // another seed: the same comparison, present from line 1.
    let text = twoTasks + "\n" + #"{"prompt": "Opening", "completions": [{"text": "b", "model": "ppo"}, {"text": "a", "model": "sft", "seed": 8}]}"#
    #expect(try await store.importTasks(try taskLines(text, source: "t"), source: "t") == ImportReport(imported: 2, alreadyPresent: 1))
    let afterFirst = try await store.counts()
    #expect(afterFirst.tasks == 2 && afterFirst.completions == 5)
    #expect(try await store.importTasks(try taskLines(text, source: "t"), source: "t") == ImportReport(imported: 0, alreadyPresent: 3))
    #expect(try await store.counts() == afterFirst)
    #expect(try await store.taskDetails(id: 1).completions.map(\.provenance.seed) == [7, nil], "the stored task keeps its own provenance")

    let preferences = [
        PreferenceLine(prompt: "P", chosen: "x", rejected: "y"), PreferenceLine(prompt: "P", chosen: "x", rejected: "z"),
        PreferenceLine(prompt: "P", chosen: "x", rejected: "y", annotator: "bob"),
    ].numberedAsLines()
    #expect(try await store.importPreferences(preferences, annotatorName: "ann") == ImportReport(imported: 3, alreadyPresent: 0))
    let afterPreferences = try await store.counts()
    #expect(afterPreferences.judgments == 3 && afterPreferences.tasks == 4, "bob's line judges ann's task of the same two answers")
    #expect(try await store.importPreferences(preferences, annotatorName: "ann") == ImportReport(imported: 0, alreadyPresent: 3))
    #expect(try await store.counts() == afterPreferences)
}

@Test(arguments: StoreBackend.all) func aLineContradictingTheStoreIsNamedAndNothingOfItsFileIsStored(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
    try await store.importTasks(try taskLines(twoTasks, source: "first.jsonl"), source: "first.jsonl")
    try await store.importPreferences([PreferenceLine(prompt: "P", chosen: "x", rejected: "y")].numberedAsLines(), annotatorName: "ann")
    let before = try await store.counts()

    // The same prompt and answers credited to other models: not the same task, and not a new one.
    let relabelled = """
        {"prompt": "Third", "completions": [{"text": "f", "model": "sft"}, {"text": "g", "model": "ppo"}]}
        {"prompt": "Opening", "completions": [{"text": "a", "model": "sft"}, {"text": "b", "model": "dpo"}]}
        """
    await #expect(throws: FileFormatError(
        file: "second.jsonl", line: 2, field: "completions.1.model",
        reason: "is 'dpo', but task 1 (imported from first.jsonl:1) holds the same prompt and answers and credits this answer to 'ppo'")) {
        try await store.importTasks(try taskLines(relabelled, source: "second.jsonl"), source: "second.jsonl")
    }
    // Within one file, the earlier line is the one named.
    let twice = """
        {"prompt": "Fourth", "completions": [{"text": "h", "model": "sft"}, {"text": "i", "model": "ppo"}]}
        {"prompt": "Fourth", "completions": [{"text": "i", "model": "sft"}, {"text": "h", "model": "ppo"}]}
        """
    await #expect {
        try await store.importTasks(try taskLines(twice, source: "twice.jsonl"), source: "twice.jsonl")
    } throws: { error in
        guard let error = error as? FileFormatError else { return false }
        return error.line == 2 && error.field == "completions.0.model" && error.reason.contains("(imported from twice.jsonl:1)")
    }
    // An annotator's line reversing their own stored verdict on the same two answers.
    let reversed = [
        PreferenceLine(prompt: "Q", chosen: "u", rejected: "v"), PreferenceLine(prompt: "P", chosen: "y", rejected: "x"),
    ].numberedAsLines()
    await #expect {
        try await store.importPreferences(reversed, annotatorName: "ann", source: "reversed.jsonl")
    } throws: { error in
        guard let error = error as? FileFormatError else { return false }
        return error.file == "reversed.jsonl" && error.line == 2 && error.reason.hasPrefix("annotator 'ann' has judged task 3 (imported from preferences:1)")
    }
    #expect(try await store.counts() == before, "a refused file stores none of its lines")
    // Another annotator may judge the same pair the other way.
    let other = [PreferenceLine(prompt: "P", chosen: "y", rejected: "x", annotator: "bob")].numberedAsLines()
    #expect(try await store.importPreferences(other, annotatorName: "ann") == ImportReport(imported: 1, alreadyPresent: 0))
    #expect(try await store.counts().tasks == before.tasks)
}

@Test(arguments: StoreBackend.all) func exportsImportIntoTheirStoreAsNothingAndIntoAFreshOneAsTheSame(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
    try await store.importTasks(try taskLines(twoTasks, source: "t"), source: "t")
    let alice = try await store.createAnnotator(name: "alice", role: .annotator).annotator.id!
    let bob = try await store.createAnnotator(name: "bob", role: .annotator).annotator.id!
    let opening = try await store.taskDetails(id: 1).completions.map { $0.id! }
    let second = try await store.taskDetails(id: 2).completions.map { $0.id! }
    try await store.submit(.choice(task: 1, preferred: opening[1], over: opening[0]), by: alice)
    try await store.submit(.choice(task: 1, preferred: opening[0], over: opening[1]), by: bob)
    try await store.submit(.ranking(task: 2, bestFirst: [second[2], second[0], second[1]]), by: alice)
    let before = try await store.counts()

    let folder = try temporaryDirectory()
    let exported = folder.appendingPathComponent("preferences.jsonl")
    try JSONLines.write(try await store.preferenceLines(), to: exported)
    let lines = try JSONLines.read(PreferenceLine.self, from: exported)
    #expect(lines.count == 5 && lines.allSatisfy { $0.value.annotator != nil })
    #expect(try await store.importPreferences(lines, annotatorName: "imported", source: exported.path) == ImportReport(imported: 0, alreadyPresent: 5))
    #expect(try await store.counts() == before)

    // The ranking export holds each judgment's task: as tasks, those are here already too.
    let rankings = folder.appendingPathComponent("rankings.jsonl")
    try JSONLines.write(try await store.rankedComparisons().map(RankingLine.init), to: rankings)
    let asTasks = try JSONLines.read(TaskLine.self, from: rankings)
    #expect(try await store.importTasks(asTasks, source: rankings.path) == ImportReport(imported: 0, alreadyPresent: 3))
    #expect(try await store.counts() == before)

    let fresh = try await backend.makeStore()
    #expect(try await fresh.importPreferences(lines, annotatorName: "imported", source: exported.path) == ImportReport(imported: 5, alreadyPresent: 0))
    #expect(try await fresh.preferenceLines() == lines.map(\.value), "who preferred what survives the round trip")
    #expect(try await fresh.importPreferences(lines, annotatorName: "imported", source: exported.path) == ImportReport(imported: 0, alreadyPresent: 5))
    #expect(try await fresh.counts().judgments == 5)
}

@Test(arguments: StoreBackend.servers) func twoImportsOfOneFileAtOnceStoreItOnce(_ backend: StoreBackend) async throws {
    let location = try await backend.makeLocation()
    let first = try await FeedbackStore(location: location), second = try await FeedbackStore(location: location)
    let lines = (0..<40).map { index in
        TaskLine(prompt: "Prompt \(index)", completions: [.init(text: "a\(index)", model: "m1"), .init(text: "b\(index)", model: "m2")])
    }.numberedAsLines()
    async let one = first.importTasks(lines, source: "one")
    async let other = second.importTasks(lines, source: "other")
    let reports = try await [one, other]
    #expect(reports.map(\.imported).reduce(0, +) == 40 && reports.map(\.alreadyPresent).reduce(0, +) == 40)
    #expect(try await first.counts().tasks == 40)
}

@Test(arguments: StoreBackend.servers) func twoImportsOfOnePreferenceFileAtOnceStoreItOnce(_ backend: StoreBackend) async throws {
    let location = try await backend.makeLocation()
    let first = try await FeedbackStore(location: location), second = try await FeedbackStore(location: location)
    // Created first, so neither import waits on the other's new annotator for the whole file;
    // each then reaches a line before the other commits it.
    _ = try await first.annotator(named: "ann")
    let lines = (0..<40).map { PreferenceLine(prompt: "Prompt \($0)", chosen: "good \($0)", rejected: "bad \($0)") }.numberedAsLines()
    async let one = first.importPreferences(lines, annotatorName: "ann", source: "one")
    async let other = second.importPreferences(lines, annotatorName: "ann", source: "other")
    let reports = try await [one, other]
    #expect(reports.map(\.imported).reduce(0, +) == 40 && reports.map(\.alreadyPresent).reduce(0, +) == 40)
    let counts = try await first.counts()
    #expect(counts.tasks == 40 && counts.judgments == 40)
}

@Test(arguments: StoreBackend.all) func preferenceLinesLeaveARoundsTasksToThatRound(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
    let answers = { (better: String, worse: String) in
        [NewCompletion(text: better, provenance: Provenance(model: "policy")), NewCompletion(text: worse, provenance: Provenance(model: "reference"))]
    }
    // An open round's batch and a closed one's, each with a task of a line's two answers.
    try await store.createTasks([NewTask(prompt: "P", completions: answers("x", "y"))], batch: "round-2")
    try await store.createTasks([NewTask(prompt: "Q", completions: answers("u", "v"))], batch: "round-1")
    try await store.closeTasks(inBatch: "round-1")
    let lines = [PreferenceLine(prompt: "P", chosen: "x", rejected: "y"), PreferenceLine(prompt: "Q", chosen: "u", rejected: "v")].numberedAsLines()
    #expect(try await store.importPreferences(lines, annotatorName: "ann") == ImportReport(imported: 2, alreadyPresent: 0))
    #expect(try await store.judgmentCount(inBatch: "round-2") == 0)
    #expect(try await store.judgmentCount(inBatch: "round-1") == 0)
    #expect(try await store.counts().tasks == 4, "each line judges a task of its own")
    #expect(try await store.importPreferences(lines, annotatorName: "ann") == ImportReport(imported: 0, alreadyPresent: 2))
    #expect(try await store.counts().judgments == 2)
}

@Test(arguments: StoreBackend.all) func tasksStoredWithoutKeysAfterTheMigrationAreFoundByTheNextImport(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
    // What a server of the version before keys stores on a shared store a newer one migrated.
    try await store.database.write { transaction in
        try await insertTaskWithoutKey(transaction, prompt: "Opening", answers: [("a", "sft"), ("b", "ppo")])
        try await insertTaskWithoutKey(transaction, prompt: "P", answers: [("x", "imported-chosen"), ("y", "imported-rejected")])
    }
    #expect(try await store.importTasks(try taskLines(twoTasks, source: "t"), source: "t") == ImportReport(imported: 1, alreadyPresent: 1))
    let preference = [PreferenceLine(prompt: "P", chosen: "x", rejected: "y")].numberedAsLines()
    #expect(try await store.importPreferences(preference, annotatorName: "ann") == ImportReport(imported: 1, alreadyPresent: 0))
    #expect(try await store.counts().tasks == 3, "the line judges the task stored without a key")
    #expect(try await store.database.read { try await $0.scalar(Int.self, "SELECT COUNT(*) FROM comparisonTask WHERE contentKey IS NULL") } == 0)
}

/// A task as stores before content keys held it: no key, no origin.
private func insertTaskWithoutKey(_ transaction: any SQLTransaction, prompt: String, answers: [(text: String, model: String)]) async throws {
    try await transaction.execute("INSERT INTO prompt (text, createdAt) VALUES (?, ?) ON CONFLICT DO NOTHING", .text(prompt), .date(Date()))
    let promptID = try #require(try await transaction.scalar(Int64.self, "SELECT id FROM prompt WHERE text = ?", .text(prompt)))
    let taskID = try #require(try await transaction.scalar(
        Int64.self, "INSERT INTO comparisonTask (promptID, createdAt) VALUES (?, ?) RETURNING id", .integer(promptID), .date(Date())))
    for (position, answer) in answers.enumerated() {
        let completionID = try #require(try await transaction.scalar(
            Int64.self, "INSERT INTO completion (promptID, text, model, createdAt) VALUES (?, ?, ?, ?) RETURNING id",
            .integer(promptID), .text(answer.text), .text(answer.model), .date(Date())))
        try await transaction.execute(
            "INSERT INTO taskCompletion (taskID, completionID, position) VALUES (?, ?, ?)", .integer(taskID), .integer(completionID), .int(position))
    }
}

@Test(arguments: StoreBackend.all) func storesFromBeforeContentKeysMigrateAndKnowTheirTasks(_ backend: StoreBackend) async throws {
    let location = try await backend.makeLocation()
    let earlier = FeedbackSchemaVersion.through(.adapterTrainingLease)
    do {
        let old = try await FeedbackStore.database(at: location, migratedUpTo: .adapterTrainingLease)
        #expect(try await old.appliedMigrations() == earlier.map(\.rawValue))
        try await old.write { transaction in
            // A file imported twice before imports could tell: its task is stored twice.
            for _ in 1...2 { try await insertTaskWithoutKey(transaction, prompt: "Opening", answers: [("a", "sft"), ("b", "ppo")]) }
            try await insertTaskWithoutKey(transaction, prompt: "Second", answers: [("c", "sft"), ("d", "ppo"), ("e", "base")])
        }
    }
    let store = try await FeedbackStore(location: location)
    #expect(try await store.database.appliedMigrations() == FeedbackSchemaVersion.allCases.map(\.rawValue))
    #expect(try await store.database.read { try await $0.scalar(Int.self, "SELECT COUNT(*) FROM comparisonTask WHERE contentKey IS NULL") } == 0)
    let again = twoTasks + "\n" + #"{"prompt": "Third", "completions": [{"text": "f", "model": "sft"}, {"text": "g", "model": "ppo"}]}"#
    #expect(try await store.importTasks(try taskLines(again, source: "again"), source: "again") == ImportReport(imported: 1, alreadyPresent: 2))
    #expect(try await store.counts().tasks == 4, "the copies stored before stay; no third one is added")

    // At most one imported task per key; tasks stored otherwise may share one.
    let (imported, otherwise) = try await store.database.write { transaction in
        let row = { (key: String, origin: String?) in
            try await transaction.row(
                "INSERT INTO comparisonTask (promptID, createdAt, contentKey, importedFrom) VALUES (1, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
                .date(Date()), .text(key), .nullable(origin))
        }
        let third = TaskContentKey.of(prompt: "Third", answers: ["f", "g"])
        return (try await row(third, "elsewhere:1") != nil, try await row(third, nil) != nil)
    }
    #expect(!imported && otherwise)
}
