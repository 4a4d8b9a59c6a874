// The feedback store: SQLite embedded or PostgreSQL shared, migrated on open, every write one transaction.

import Foundation

/// Everything people said about model outputs, and the outputs themselves, in one database.
///
/// Every method that changes data runs in a single write transaction, so a crash leaves each
/// change either fully stored or absent. Every method acting for an annotator takes that
/// annotator's id and only ever reads or changes that annotator's own judgments.
package struct FeedbackStore: Sendable {
    /// The database underneath.
    package let database: any FeedbackDatabase

    /// Opens (creating if needed) the SQLite file at `path` and migrates it.
    package init(path: String) throws {
        database = try SQLiteFeedbackDatabase(path: path)
    }

    /// Opens the database `--db` names: a SQLite file path or a `postgres://` URL.
    package init(opening text: String) async throws {
        try await self.init(location: FeedbackLocation(parsing: text))
    }

    /// Opens the database `--db` names for reading or adding to what it holds: a SQLite path that
    /// does not exist is an error, so a mistyped one does not become an empty store reported on
    /// as if it were the real one.
    package init(openingExisting text: String) async throws {
        let location = try FeedbackLocation(parsing: text)
        if case .sqlite(let path) = location, !FileManager.default.fileExists(atPath: path) {
            throw FeedbackDatabaseError.invalidLocation(
                path, reason: "no such file (`rlhf tasks import`, `rlhf tasks select`, `rlhf annotators add` and `rlhf serve` create one)")
        }
        try await self.init(location: location)
    }

    /// Opens (creating or migrating as needed) the database at `location`.
    package init(location: FeedbackLocation) async throws {
        switch location {
        case .sqlite(let path): try self.init(path: path)
        case .postgres(let location): self.init(database: try await PostgresFeedbackDatabase(location: location))
        }
    }

    /// The database at `location` with only the migrations up to `last` applied: a store as an
    /// earlier version of the workbench left it, for testing the migrations after `last`. The
    /// store's own methods expect the whole schema, so it is returned as a bare database.
    package static func database(at location: FeedbackLocation, migratedUpTo last: FeedbackSchemaVersion) async throws -> any FeedbackDatabase {
        switch location {
        case .sqlite(let path): return try SQLiteFeedbackDatabase(path: path, migratingUpTo: last)
        case .postgres(let location): return try await PostgresFeedbackDatabase(location: location, migratingUpTo: last)
        }
    }

    /// A private in-memory store, for tests and throwaway runs.
    package static func inMemory() throws -> FeedbackStore {
        FeedbackStore(database: try SQLiteFeedbackDatabase.inMemory())
    }

    /// A store on an open, migrated database.
    package init(database: any FeedbackDatabase) {
        self.database = database
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
        try await database.read { transaction in
            guard let row = try await transaction.row("""
                SELECT (SELECT COUNT(*) FROM annotator) AS annotators, (SELECT COUNT(*) FROM prompt) AS prompts,
                       (SELECT COUNT(*) FROM completion) AS completions, (SELECT COUNT(*) FROM comparisonTask) AS tasks,
                       (SELECT COUNT(*) FROM judgment) AS judgments, (SELECT COUNT(*) FROM demonstration) AS demonstrations
                """)
            else { throw FeedbackDatabaseError.unexpectedColumn("counts", expected: "one row", found: "none") }
            return Counts(
                annotators: try row["annotators"], prompts: try row["prompts"], completions: try row["completions"],
                tasks: try row["tasks"], judgments: try row["judgments"], demonstrations: try row["demonstrations"])
        }
    }

    /// The ids of every stored judgment, for durability checks.
    package func judgmentIDs() async throws -> Set<Int64> {
        try await database.read { transaction in
            Set(try await transaction.rows("SELECT id FROM judgment").map { try $0.first(Int64.self) })
        }
    }
}
