// The store's schema settings, annotators, sessions, tasks and the order tasks are handed out.

import Foundation
import GRDB
import Testing
@testable import Feedback

@Test func fileStoresUseWALDurableCommitsAndForeignKeys() async throws {
    let store = try makeStore()
    let (mode, synchronous, foreignKeys) = try await store.database.read { db in
        (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"),
         try Bool.fetchOne(db, sql: "PRAGMA foreign_keys"))
    }
    #expect(mode == "wal" && synchronous == 2 && foreignKeys == true)
    let applied = try await store.database.read { db in try FeedbackMigrations.migrator.appliedIdentifiers(db) }
    #expect(applied == ["2026-11-22 feedback schema"])
}

@Test func annotatorTokensAreStoredOnlyAsDigests() async throws {
    let store = try makeStore()
    let (annotator, token) = try await store.createAnnotator(name: "ada", role: .admin)
    #expect(token.count == 64 && annotator.tokenHash != token && annotator.tokenHash == TokenDigest.digest(token))
    #expect(try await store.annotator(forToken: token)?.name == "ada")
    #expect(try await store.annotator(forToken: String(token.reversed())) == nil)
    await #expect(throws: FeedbackError.annotatorExists("ada")) { try await store.createAnnotator(name: "ada", role: .annotator) }
    await #expect(throws: FeedbackError.invalidField(name: "name", reason: "must not be empty")) {
        try await store.createAnnotator(name: "  ", role: .annotator)
    }
}

@Test func sessionsExpireAndClose() async throws {
    let store = try makeStore()
    let (annotator, _) = try await store.createAnnotator(name: "bo", role: .annotator)
    let start = Date()
    let session = try await store.openSession(annotatorID: annotator.id!, now: start)
    #expect(try await store.annotator(forSession: session, now: start.addingTimeInterval(60))?.name == "bo")
    #expect(try await store.annotator(forSession: session, now: start.addingTimeInterval(FeedbackStore.sessionLifetime + 1)) == nil)
    try await store.closeSession(session)
    #expect(try await store.annotator(forSession: session, now: start) == nil)
}

@Test func tasksKeepProvenanceAndReusePrompts() async throws {
    let store = try makeStore()
    let sampling = SamplingParameters(temperature: 0.7, topK: 50, topP: 0.9, maxNewTokens: 48)
    let provenance = Provenance(model: "sft", checkpoint: "runs/sft/step-400", sampling: sampling, seed: UInt64.max)
    let first = try await store.createTask(prompt: "Review:", completions: [
        NewCompletion(text: "great", provenance: provenance), NewCompletion(text: "bad", provenance: Provenance(model: "base")),
    ])
    let second = try await makeTask(store, prompt: "Review:", models: ["a", "b", "c"])
    #expect(first.prompt.id == second.prompt.id)
    let reloaded = try await store.taskDetails(id: first.task.id!)
    #expect(reloaded.completions.map(\.provenance) == [provenance, Provenance(model: "base")])
    await #expect(throws: FeedbackError.taskNeedsCompletions(found: 1)) {
        try await store.createTask(prompt: "x", completions: [NewCompletion(text: "only", provenance: provenance)])
    }
    await #expect(throws: FeedbackError.taskNotFound(999)) { try await store.taskDetails(id: 999) }
    #expect(try await store.counts().tasks == 2)
}

@Test func nextTaskSpreadsCoverageAndShufflesPerAnnotator() async throws {
    let store = try makeStore()
    let a = try await store.createAnnotator(name: "a", role: .annotator).annotator.id!
    let b = try await store.createAnnotator(name: "b", role: .annotator).annotator.id!
    var tasks: [TaskDetails] = []
    for i in 0..<6 {
        tasks.append(try await makeTask(store, prompt: "prompt \(i)", models: ["m1", "m2", "m3", "m4"]))
    }
    let firstForA = try #require(try await store.nextTask(for: a))
    #expect(firstForA.taskID == tasks[0].task.id)
    try await store.submit(.ranking(task: firstForA.taskID, bestFirst: firstForA.completions.map(\.id)), by: a)
    // b's least-covered task is now task 1 (task 0 has a judgment); a never gets task 0 again.
    #expect(try await store.nextTask(for: b)?.taskID == tasks[1].task.id)
    #expect(try await store.nextTask(for: a)?.taskID == tasks[1].task.id)
    var ordersDiffer = false
    for task in tasks {
        let seenByA = try await store.annotationTask(id: task.task.id!, for: a)
        #expect(try await store.annotationTask(id: task.task.id!, for: a) == seenByA)
        #expect(Set(seenByA.completions.map(\.id)) == Set(task.completions.map { $0.id! }))
        let seenByB = try await store.annotationTask(id: task.task.id!, for: b)
        ordersDiffer = ordersDiffer || seenByA.completions != seenByB.completions
    }
    #expect(ordersDiffer)
}
