// The feedback database schema, as string-named migrations: add new ones, never edit shipped ones.

import GRDB

/// The schema's versions in order: each is one migration, with a form for each backend.
///
/// A new version is a new case; the switches over it in `FeedbackMigrations` (SQLite) and
/// `PostgresMigrations` make both backends spell it out before anything compiles.
package enum FeedbackSchemaVersion: String, CaseIterable, Sendable {
    /// Annotators, sessions, prompts, completions, tasks, judgments, demonstrations, ratings.
    case initial = "2026-11-22 feedback schema"
}

/// The schema's migrations for SQLite, through GRDB's migrator.
package enum FeedbackMigrations {
    /// A migrator that brings a database up to the current schema.
    package static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for version in FeedbackSchemaVersion.allCases {
            switch version {
            case .initial: migrator.registerMigration(version.rawValue, migrate: createSchema)
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
}
