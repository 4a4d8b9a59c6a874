// The feedback database schema, as string-named migrations: add new ones, never edit shipped ones.

import Foundation
import GRDB

/// The schema's versions in order: each is one migration, with a form for each backend.
///
/// A new version is a new case; the switches over it in `FeedbackMigrations` (SQLite) and
/// `PostgresMigrations` make both backends spell it out before anything compiles.
package enum FeedbackSchemaVersion: String, CaseIterable, Sendable {
    /// Annotators, sessions, prompts, completions, tasks, judgments, demonstrations, ratings.
    case initial = "2026-11-22 feedback schema"
    /// Adapter versions learned from corrections, and the corrections and ratings each learned from.
    case adapterVersions = "2026-12-04 adapter versions"
    /// Sessions' last activity (for the idle timeout), the audit log of administrators' actions,
    /// and annotators excluded from exports as outliers.
    case serverHardening = "2026-12-04 server hardening"
    /// The labeling queue's stored policy and the reward model's per-task uncertainties.
    case taskSelection = "2026-12-04 task selection"
    /// Tasks made together under a name (a round of `rlhf iterate`, its arena), and closed tasks,
    /// which the queue no longer serves.
    case taskBatches = "2026-12-06 task batches"
    /// One adapter version trains at a time, and its learner's last sign of life, so a version
    /// whose learner was killed is seen as abandoned rather than training for ever.
    case adapterTrainingLease = "2026-12-06 adapter training lease"
    /// Every task's content key, so an import can tell a task it holds already from a new one,
    /// and where an imported task came from (file and line); at most one imported task per key.
    case taskContentKeys = "2026-12-07 task content keys"
}

extension FeedbackSchemaVersion {
    /// The versions up to and including `last`; all of them when it is nil.
    static func through(_ last: FeedbackSchemaVersion?) -> [FeedbackSchemaVersion] {
        guard let last, let end = allCases.firstIndex(of: last) else { return allCases }
        return Array(allCases[...end])
    }
}

/// The schema's migrations for SQLite, through GRDB's migrator.
package enum FeedbackMigrations {
    /// A migrator that brings a database up to the current schema.
    package static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for version in FeedbackSchemaVersion.allCases {
            switch version {
            case .initial: migrator.registerMigration(version.rawValue, migrate: createSchema)
            case .adapterVersions: migrator.registerMigration(version.rawValue, migrate: createAdapterVersionTables)
            case .serverHardening: migrator.registerMigration(version.rawValue, migrate: addServerHardening)
            case .taskSelection: migrator.registerMigration(version.rawValue, migrate: createTaskSelectionTables)
            case .taskBatches: migrator.registerMigration(version.rawValue, migrate: addTaskBatches)
            case .adapterTrainingLease: migrator.registerMigration(version.rawValue, migrate: addAdapterTrainingLease)
            case .taskContentKeys: migrator.registerMigration(version.rawValue, migrate: addTaskContentKeys)
            }
        }
        return migrator
    }

    private static func createSchema(_ db: Database) throws {
        try db.create(table: "annotator") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("name", .text).notNull().unique()
            t.column("tokenHash", .text).notNull().unique()
            t.column("role", .text).notNull().check(sql: "role IN ('annotator', 'admin')")
            t.column("createdAt", .datetime).notNull()
        }
        try db.create(table: "annotatorSession") { t in
            t.primaryKey("tokenHash", .text)
            t.column("annotatorID", .integer).notNull().indexed().references("annotator", onDelete: .cascade)
            t.column("createdAt", .datetime).notNull()
            t.column("expiresAt", .datetime).notNull()
        }
        try db.create(table: "prompt") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("text", .text).notNull().unique()
            t.column("messages", .jsonText)
            t.column("createdAt", .datetime).notNull()
        }
        try db.create(table: "completion") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("promptID", .integer).notNull().indexed().references("prompt", onDelete: .cascade)
            t.column("text", .text).notNull()
            t.column("model", .text).notNull().indexed()
            t.column("checkpoint", .text)
            t.column("sampling", .jsonText)
            t.column("seed", .integer)
            t.column("requestedByAnnotatorID", .integer).indexed().references("annotator", onDelete: .setNull)
            t.column("createdAt", .datetime).notNull()
        }
        try createTaskTables(db)
        try createJudgmentTables(db)
    }

    private static func createTaskTables(_ db: Database) throws {
        try db.create(table: "comparisonTask") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("promptID", .integer).notNull().indexed().references("prompt", onDelete: .cascade)
            t.column("createdAt", .datetime).notNull()
        }
        try db.create(table: "taskCompletion") { t in
            t.column("taskID", .integer).notNull().references("comparisonTask", onDelete: .cascade)
            t.column("completionID", .integer).notNull().indexed().references("completion", onDelete: .cascade)
            t.column("position", .integer).notNull()
            t.primaryKey(["taskID", "completionID"])
            t.uniqueKey(["taskID", "position"])
        }
    }

    private static func createJudgmentTables(_ db: Database) throws {
        try db.create(table: "judgment") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("taskID", .integer).notNull().references("comparisonTask", onDelete: .cascade)
            t.column("annotatorID", .integer).notNull().indexed().references("annotator", onDelete: .cascade)
            t.column("kind", .text).notNull().check(sql: "kind IN ('ranking', 'pairwise')")
            t.column("bothBad", .boolean).notNull()
            t.column("reason", .text)
            t.column("createdAt", .datetime).notNull()
            t.column("updatedAt", .datetime).notNull().indexed()
            t.uniqueKey(["taskID", "annotatorID"])
        }
        try db.create(table: "judgmentRank") { t in
            t.column("judgmentID", .integer).notNull().references("judgment", onDelete: .cascade)
            t.column("completionID", .integer).notNull().indexed().references("completion", onDelete: .cascade)
            t.column("tier", .integer).notNull().check(sql: "tier >= 0")
            t.primaryKey(["judgmentID", "completionID"])
        }
        try db.create(table: "demonstration") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("promptID", .integer).notNull().indexed().references("prompt", onDelete: .cascade)
            t.column("annotatorID", .integer).notNull().indexed().references("annotator", onDelete: .cascade)
            t.column("text", .text).notNull()
            t.column("correctsCompletionID", .integer).indexed().references("completion", onDelete: .setNull)
            t.column("judgmentID", .integer).indexed().references("judgment", onDelete: .cascade)
            t.column("origin", .text).notNull().check(sql: "origin IN ('labeling', 'chat', 'imported')")
            t.column("createdAt", .datetime).notNull()
        }
        try db.create(table: "answerRating") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("completionID", .integer).notNull().references("completion", onDelete: .cascade)
            t.column("annotatorID", .integer).notNull().indexed().references("annotator", onDelete: .cascade)
            t.column("isGood", .boolean).notNull()
            t.column("createdAt", .datetime).notNull()
            t.uniqueKey(["completionID", "annotatorID"])
        }
    }

    /// Versions and link tables (so "corrections not yet learned" is one query). At most one
    /// version is active: a partial unique index over the rows where `isActive` holds.
    private static func createAdapterVersionTables(_ db: Database) throws {
        try db.create(table: "adapterVersion") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("folder", .text).notNull()
            t.column("baseModel", .text).notNull()
            t.column("startingAdapter", .text)
            t.column("status", .text).notNull().check(sql: "status IN ('training', 'ready', 'failed')")
            t.column("metrics", .jsonText)
            t.column("failure", .text)
            t.column("isActive", .boolean).notNull()
            t.column("createdAt", .datetime).notNull()
            t.column("finishedAt", .datetime)
        }
        try db.create(index: "adapterVersion_oneActive", on: "adapterVersion", columns: ["isActive"], unique: true, condition: Column("isActive"))
        try db.create(table: "adapterVersionDemonstration") { t in
            t.column("versionID", .integer).notNull().references("adapterVersion", onDelete: .cascade)
            t.column("demonstrationID", .integer).notNull().indexed().references("demonstration", onDelete: .cascade)
            t.primaryKey(["versionID", "demonstrationID"])
        }
        try db.create(table: "adapterVersionRating") { t in
            t.column("versionID", .integer).notNull().references("adapterVersion", onDelete: .cascade)
            t.column("ratingID", .integer).notNull().indexed().references("answerRating", onDelete: .cascade)
            t.primaryKey(["versionID", "ratingID"])
        }
    }

    /// Sessions older than this migration have no `lastSeenAt`; their `createdAt` stands in. The
    /// audit log keeps the administrator's name, so deleting an account leaves its entries readable.
    private static func addServerHardening(_ db: Database) throws {
        try db.alter(table: "annotatorSession") { t in t.add(column: "lastSeenAt", .datetime) }
        try db.alter(table: "annotator") { t in t.add(column: "excludedFromExports", .boolean).notNull().defaults(to: false) }
        try db.create(table: "adminAudit") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("adminID", .integer).indexed().references("annotator", onDelete: .setNull)
            t.column("adminName", .text).notNull()
            t.column("action", .text).notNull()
            t.column("target", .text).notNull()
            t.column("createdAt", .datetime).notNull().indexed()
        }
    }

    /// Store-wide settings by name (the queue's policy as JSON), and one uncertainty per task.
    private static func createTaskSelectionTables(_ db: Database) throws {
        try db.create(table: "storeSetting") { t in
            t.primaryKey("name", .text)
            t.column("value", .text).notNull()
        }
        try db.create(table: "taskUncertainty") { t in
            t.primaryKey("taskID", .integer).references("comparisonTask", onDelete: .cascade)
            t.column("value", .double).notNull().check(sql: "value >= 0 AND value <= 1")
            t.column("updatedAt", .datetime).notNull()
        }
    }

    /// Tasks before this migration belong to no batch and are open.
    private static func addTaskBatches(_ db: Database) throws {
        try db.alter(table: "comparisonTask") { t in
            t.add(column: "batch", .text)
            t.add(column: "closedAt", .datetime)
        }
        try db.create(index: "comparisonTask_on_batch", on: "comparisonTask", columns: ["batch"])
    }

    /// Of several versions left training by earlier learners, all but the newest are failed, so
    /// the index can hold; the newest is judged by its lease like any other.
    private static func addAdapterTrainingLease(_ db: Database) throws {
        try db.alter(table: "adapterVersion") { t in t.add(column: "heartbeatAt", .datetime) }
        try db.execute(sql: """
            UPDATE adapterVersion SET status = 'failed', failure = ?, finishedAt = ?
            WHERE status = 'training' AND id < (SELECT MAX(id) FROM adapterVersion WHERE status = 'training')
            """, arguments: [FeedbackStore.supersededTraining, Date()])
        try db.create(
            index: "adapterVersion_oneTraining", on: "adapterVersion", columns: ["status"], unique: true, condition: Column("status") == "training")
    }

    /// Tasks stored before this migration get their keys here, so a file imported before it is
    /// recognised when imported again. They count as not imported (`importedFrom` is unknown):
    /// a store may already hold a task twice, from a file imported twice, and the uniqueness
    /// covers only imports made from now on. Those copies are left as they are; deleting one
    /// would delete judgments with it.
    private static func addTaskContentKeys(_ db: Database) throws {
        try db.alter(table: "comparisonTask") { t in
            t.add(column: "contentKey", .text)
            t.add(column: "importedFrom", .text)
        }
        // `TaskContentKey.keyUnkeyedTasks` spelled for GRDB, whose migrations are synchronous.
        if let range = try Row.fetchOne(db, sql: TaskContentKey.unkeyedRangeQuery),
           let first = range["first"] as Int64?, let last = range["last"] as Int64? {
            for start in stride(from: first, through: last, by: TaskContentKey.backfillStride) {
                let rows = try Row.fetchAll(db, sql: TaskContentKey.unkeyedTasksQuery, arguments: [start, start + Int64(TaskContentKey.backfillStride)])
                    .map { (taskID: $0["taskID"] as Int64, prompt: $0["prompt"] as String, answer: $0["answer"] as String) }
                guard !rows.isEmpty else { continue }
                let update = TaskContentKey.update(storing: TaskContentKey.keys(of: rows))
                try db.execute(sql: update.sql, arguments: StatementArguments(update.arguments.map(\.databaseValue)))
            }
        }
        try db.create(index: "comparisonTask_on_contentKey", on: "comparisonTask", columns: ["contentKey"])
        try db.create(
            index: "comparisonTask_oneImportPerContent", on: "comparisonTask", columns: ["contentKey"], unique: true,
            condition: Column("importedFrom") != nil)
    }
}
