// The feedback store: one SQLite file in WAL mode, migrated on open, every write one transaction.

import Foundation
import GRDB

/// Everything people said about model outputs, and the outputs themselves, in one SQLite database.
///
/// Every method that changes data runs in a single write transaction, so a crash leaves each
/// change either fully stored or absent. Every method acting for an annotator takes that
/// annotator's id and only ever reads or changes that annotator's own judgments.
package struct FeedbackStore: Sendable {
    /// The underlying connection pool (or queue, for in-memory stores).
    package let database: any DatabaseWriter

    /// Opens (creating if needed) the database file at `path` and migrates it.
    ///
    /// WAL mode lets the server read while a judgment is being written; `synchronous = FULL`
    /// makes every acknowledged commit durable, even across power loss, not just process death.
    package init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try self.init(database: DatabasePool(path: path, configuration: configuration))
    }

    /// A private in-memory store, for tests and throwaway runs.
    package static func inMemory() throws -> FeedbackStore {
        try FeedbackStore(database: DatabaseQueue())
    }

    /// Wraps an open database and migrates it.
    package init(database: any DatabaseWriter) throws {
        self.database = database
        try FeedbackMigrations.migrator.migrate(database)
    }

    /// Row counts of the main tables, for status lines and crash checks.
    package struct Counts: Codable, Sendable, Equatable {
        package var annotators: Int
        package var prompts: Int
        package var completions: Int
        package var tasks: Int
        package var judgments: Int
        package var demonstrations: Int
    }

    /// How many rows each main table holds.
    package func counts() async throws -> Counts {
        try await database.read { db in
            Counts(
                annotators: try Annotator.fetchCount(db),
                prompts: try Prompt.fetchCount(db),
                completions: try Completion.fetchCount(db),
                tasks: try ComparisonTask.fetchCount(db),
                judgments: try Judgment.fetchCount(db),
                demonstrations: try Demonstration.fetchCount(db)
            )
        }
    }
}

extension FeedbackStore {
    /// The ids of every stored judgment, for durability checks.
    package func judgmentIDs() async throws -> Set<Int64> {
        try await database.read { db in Set(try Int64.fetchAll(db, sql: "SELECT id FROM judgment")) }
    }
}
