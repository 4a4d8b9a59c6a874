// The store's schema settings, annotators, sessions, tasks and the order tasks are handed out.

import Foundation
import Testing
@testable import Feedback
import FeedbackTestSupport

@Test func sqliteStoresUseWALDurableCommitsAndForeignKeys() async throws {
    let store = try await StoreBackend.sqlite.makeStore()
    let (mode, synchronous, foreignKeys) = try await store.database.read { transaction in
        (try await transaction.scalar(String.self, "PRAGMA journal_mode"), try await transaction.scalar(Int.self, "PRAGMA synchronous"),
         try await transaction.scalar(Bool.self, "PRAGMA foreign_keys"))
    }
    #expect(mode == "wal" && synchronous == 2 && foreignKeys == true)
}

/// Each table's columns in order, lower-cased as PostgreSQL folds them.
private func columns(of table: String, in store: FeedbackStore) async throws -> [String] {
    let sql = store.database is PostgresFeedbackDatabase
        ? "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = lower(?) ORDER BY ordinal_position"
        : "SELECT name FROM pragma_table_info(?) ORDER BY cid"
    return try await store.database.read { transaction in
        try await transaction.rows(sql, .text(table)).map { try $0.first(String.self).lowercased() }
    }
}

@Test(arguments: StoreBackend.all) func everyBackendAppliesTheSameMigrationsToTheSameColumns(_ backend: StoreBackend) async throws {
    let location = try await backend.makeLocation()
    let store = try await FeedbackStore(location: location)
    #expect(try await store.database.appliedMigrations() == FeedbackSchemaVersion.allCases.map(\.rawValue))
    // The SQLite schema, built by GRDB's table definitions, is the reference both must match.
    let reference = try FeedbackStore.inMemory()
    for table in ["annotator", "annotatorSession", "prompt", "completion", "comparisonTask", "taskCompletion",
                  "judgment", "judgmentRank", "demonstration", "answerRating", "adapterVersion", "adapterVersionDemonstration",
                  "adapterVersionRating"] {
        let expected = try await columns(of: table, in: reference)
        #expect(!expected.isEmpty)
        #expect(try await columns(of: table, in: store) == expected, "table \(table)")
    }
    // Opening again (a second server starting) finds the schema migrated and keeps the data.
    _ = try await store.createAnnotator(name: "kept", role: .annotator)
    let reopened = try await FeedbackStore(location: location)
    #expect(try await reopened.database.appliedMigrations() == FeedbackSchemaVersion.allCases.map(\.rawValue))
    #expect(try await reopened.annotators().map(\.name) == ["kept"])
}

@Test func databaseLocationsAreFilePathsOrPostgresURLs() throws {
    #expect(try FeedbackLocation(parsing: "data/feedback.sqlite") == .sqlite(path: "data/feedback.sqlite"))
    guard case .postgres(let location) = try FeedbackLocation(parsing: "postgresql://ann:p%40ss@db.local:6543/labels?sslmode=require") else {
        Issue.record("not read as PostgreSQL")
        return
    }
    #expect(location.username == "ann" && location.password == "p@ss" && location.host == "db.local" && location.port == 6543)
    #expect(location.database == "labels" && location.tls == .require)
    #expect(location.description == "postgres://ann:***@db.local:6543/labels?sslmode=require")
    let refused: [(String, String)] = [
        ("postgres://db.local/labels", "no user name (postgres://USER@host/database)"),
        ("postgres://ann@db.local", "no database name (postgres://user@host/DATABASE)"),
        ("postgres://ann@db.local/labels?sslmode=verify-full", "sslmode must be disable, prefer or require, not 'verify-full'"),
        ("postgres://ann@db.local/labels?schema=x", "unknown parameter 'schema' (only sslmode is read)"),
    ]
    for (text, reason) in refused {
        #expect(throws: FeedbackDatabaseError.invalidLocation(text, reason: reason)) { try FeedbackLocation(parsing: text) }
    }
}

@Test func anUnreachableServerIsATypedError() async throws {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    await #expect {
        _ = try await FeedbackStore(opening: "postgres://nobody@127.0.0.1:1/none")
    } throws: { error in
        guard case FeedbackDatabaseError.unreachable(let location, _) = error else { return false }
        return location == "postgres://nobody@127.0.0.1:1/none"
    }
}

@Test(arguments: StoreBackend.all) func annotatorTokensAreStoredOnlyAsDigests(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
    let (annotator, token) = try await store.createAnnotator(name: "ada", role: .admin)
    #expect(token.count == 64 && annotator.tokenHash != token && annotator.tokenHash == TokenDigest.digest(token))
    #expect(try await store.annotator(forToken: token)?.name == "ada")
    #expect(try await store.annotator(forToken: String(token.reversed())) == nil)
    await #expect(throws: FeedbackError.annotatorExists("ada")) { try await store.createAnnotator(name: "ada", role: .annotator) }
    await #expect(throws: FeedbackError.invalidField(name: "name", reason: "must not be empty")) {
        try await store.createAnnotator(name: "  ", role: .annotator)
    }
}

@Test(arguments: StoreBackend.all) func sessionsExpireWhenIdleOrOldAndClose(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
    let (annotator, _) = try await store.createAnnotator(name: "bo", role: .annotator)
    let lifetimes = SessionLifetimes(idle: 600, absolute: 3600)
    let start = Date(timeIntervalSince1970: 1_800_000_000)
    let busy = try await store.openSession(annotatorID: annotator.id!, lifetimes: lifetimes, now: start)
    // Used every 9 minutes, it outlives the idle timeout many times over, but not its hour.
    for minute in stride(from: 9, through: 54, by: 9) {
        #expect(try await store.annotator(forSession: busy, lifetimes: lifetimes, now: start.addingTimeInterval(Double(minute) * 60))?.name == "bo")
    }
    #expect(try await store.annotator(forSession: busy, lifetimes: lifetimes, now: start.addingTimeInterval(3601)) == nil)
    let idle = try await store.openSession(annotatorID: annotator.id!, lifetimes: lifetimes, now: start)
    #expect(try await store.annotator(forSession: idle, lifetimes: lifetimes, now: start.addingTimeInterval(601)) == nil)
    #expect(try await store.storedSessionCount() == 0, "expired sessions are deleted when refused")
    // Deleted means gone: turning the clock back does not revive it.
    #expect(try await store.annotator(forSession: idle, lifetimes: lifetimes, now: start) == nil)

    let closed = try await store.openSession(annotatorID: annotator.id!, lifetimes: lifetimes, now: start)
    try await store.closeSession(closed)
    #expect(try await store.annotator(forSession: closed, lifetimes: lifetimes, now: start) == nil)
}

@Test(arguments: StoreBackend.all) func theAuditLogKeepsAdministratorsActionsNewestFirst(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
    let admin = try await store.createAnnotator(name: "root", role: .admin).annotator
    let annotator = try await store.createAnnotator(name: "ann", role: .annotator).annotator
    let start = Date(timeIntervalSince1970: 1_800_000_000)
    try await store.recordAdminAction(by: admin, action: "create annotator", target: "ann (annotator)", now: start)
    try await store.recordAdminAction(by: admin, action: "import tasks", target: "3 tasks", now: start.addingTimeInterval(5))
    await #expect(throws: FeedbackError.self) { try await store.recordAdminAction(by: annotator, action: "import tasks", target: "x") }
    let log = try await store.adminAudit()
    #expect(log.map(\.action) == ["import tasks", "create annotator"])
    #expect(log.map(\.adminName) == ["root", "root"] && log.last?.target == "ann (annotator)" && log.last?.createdAt == start)
}

@Test(arguments: StoreBackend.all) func tasksKeepProvenanceAndReusePrompts(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
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

/// Annotators see completion ids; were they assigned in the order a task lists its completions
/// (model by model), the larger id would name the later model.
@Test(arguments: StoreBackend.all) func completionIdsDoNotFollowTheModelOrder(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
    var firstModelHasTheSmallerID = 0
    let tasks = 40
    for i in 0..<tasks {
        let created = try await makeTask(store, prompt: "prompt \(i)", models: ["base", "policy"])
        #expect(created.completions.map(\.model) == ["base", "policy"], "the task keeps the given order")
        let reloaded = try await store.taskDetails(id: created.task.id!)
        #expect(reloaded.completions.map(\.id) == created.completions.map(\.id))
        if created.completions[0].id! < created.completions[1].id! { firstModelHasTheSmallerID += 1 }
    }
    // Each order has probability ½ per task: both appear unless the ids follow the list.
    #expect((1..<tasks).contains(firstModelHasTheSmallerID), "the first model had the smaller id in \(firstModelHasTheSmallerID) of \(tasks) tasks")
}

@Test(arguments: StoreBackend.all) func nextTaskSpreadsCoverageAndShufflesPerAnnotator(_ backend: StoreBackend) async throws {
    let store = try await backend.makeStore()
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
