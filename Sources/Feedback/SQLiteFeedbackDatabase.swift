// The embedded backend: one SQLite file in WAL mode through GRDB, migrated on open.

import Foundation
import GRDB

/// The feedback store's SQLite database: a file (WAL, durable commits) or a private in-memory one.
package struct SQLiteFeedbackDatabase: FeedbackDatabase {
    /// The GRDB connection pool (or queue, for in-memory stores).
    package let writer: any DatabaseWriter

    /// Opens (creating if needed) the database file at `path` and migrates it, up to `last`
    /// when given (a store as an earlier version left it, for testing the migrations after it).
    ///
    /// WAL mode lets the server read while a judgment is being written; `synchronous = FULL`
    /// makes every acknowledged commit durable, even across power loss, not just process death.
    /// Other processes may open the same file: SQLite serialises their writes, and the busy
    /// timeout makes a writer wait for another's transaction instead of failing.
    package init(path: String, migratingUpTo last: FeedbackSchemaVersion? = nil) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // SQLite's own message ("file is not a database - while executing PRAGMA …") names no
        // file; the error says which one and what SQLite found.
        do {
            try self.init(writer: Self.openPool(path: path, configuration: configuration), migratingUpTo: last)
        } catch let error as DatabaseError where [.SQLITE_NOTADB, .SQLITE_CORRUPT].contains(error.resultCode) {
            throw FeedbackDatabaseError.invalidLocation(path, reason: error.message ?? "\(error.resultCode)")
        } catch let error as DatabaseError where [.SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_PERM].contains(error.resultCode) {
            throw FeedbackDatabaseError.unopenable(path, reason: error.message ?? "\(error.resultCode)")
        }
    }

    /// Opens the pool. A process opening a new file while another one switches it to WAL finds
    /// it locked, and SQLite reports that at once rather than through the busy timeout: such an
    /// open is retried for as long as the timeout would have waited.
    private static func openPool(path: String, configuration: Configuration) throws -> DatabasePool {
        let deadline = Date().addingTimeInterval(10)
        while true {
            do {
                return try DatabasePool(path: path, configuration: configuration)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
    }

    /// A private in-memory database, for tests and throwaway runs.
    package static func inMemory() throws -> SQLiteFeedbackDatabase {
        try SQLiteFeedbackDatabase(writer: DatabaseQueue())
    }

    /// Wraps an open database and migrates it (up to `last` when given).
    package init(writer: any DatabaseWriter, migratingUpTo last: FeedbackSchemaVersion? = nil) throws {
        self.writer = writer
        if let last {
            try FeedbackMigrations.migrator.migrate(writer, upTo: last.rawValue)
        } else {
            try FeedbackMigrations.migrator.migrate(writer)
        }
    }

    package func read<T: Sendable>(_ body: @Sendable (any SQLTransaction) async throws -> T) async throws -> T {
        try await relay(body, writing: false)
    }

    /// A write that SQLite still refuses with SQLITE_BUSY (it skips the busy handler where waiting
    /// could deadlock, and under heavy load a writer can be starved past the timeout by another
    /// process's stream of commits) kept nothing: it is run again, for up to 30 seconds.
    package func write<T: Sendable>(_ body: @Sendable (any SQLTransaction) async throws -> T) async throws -> T {
        let deadline = Date().addingTimeInterval(30)
        while true {
            do {
                return try await relay(body, writing: true)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && Date() < deadline {
                try await Task.sleep(nanoseconds: 20_000_000)
            }
        }
    }

    package func appliedMigrations() async throws -> [String] {
        let applied = try await writer.read { db in try FeedbackMigrations.migrator.appliedIdentifiers(db) }
        return FeedbackSchemaVersion.allCases.map(\.rawValue).filter(applied.contains)
    }

    /// Runs the async `body` against GRDB's synchronous transaction: GRDB's own queue thread holds
    /// the transaction and executes the statements `body` hands it until `body` is done.
    private func relay<T: Sendable>(_ body: @Sendable (any SQLTransaction) async throws -> T, writing: Bool) async throws -> T {
        let relay = StatementRelay()
        let writer = writer
        async let access: Void = {
            defer { relay.close() }
            if writing {
                try await writer.write { db in try relay.serve(db) }
            } else {
                try await writer.read { db in try relay.serve(db) }
            }
        }()
        let outcome: Result<T, any Error>
        do {
            outcome = .success(try await body(relay))
        } catch {
            outcome = .failure(error)
        }
        relay.finish(committing: (try? outcome.get()) != nil)
        do {
            try await access
        } catch is StatementRelay.RollbackRequested {
            // The body's own error follows.
        }
        return try outcome.get()
    }

    /// The date GRDB stored as text ("yyyy-MM-dd HH:mm:ss.SSS", UTC).
    static func date(fromStored text: String) -> Date? {
        Date.fromDatabaseValue(text.databaseValue)
    }
}

/// Carries statements from an async transaction body to the GRDB thread that owns the transaction.
///
/// GRDB runs a transaction as a synchronous closure on its own dispatch queue, never on Swift's
/// cooperative threads, so that closure may block waiting for the next statement without
/// starving the tasks that produce them.
private final class StatementRelay: SQLTransaction, @unchecked Sendable {
    /// Thrown on GRDB's thread to roll back after the body failed.
    struct RollbackRequested: Error {}

    /// The transaction ended before the statement could run.
    struct TransactionClosed: Error, CustomStringConvertible {
        var description: String { "the SQLite transaction ended before the statement ran" }
    }

    private typealias Request = (sql: String, arguments: [SQLValue], reply: CheckedContinuation<[SQLRow], any Error>)

    // All state below is guarded by `condition`.
    private let condition = NSCondition()
    private var pending: [Request] = []
    private var commit: Bool?
    private var closed = false

    func rows(_ sql: String, _ arguments: [SQLValue]) async throws -> [SQLRow] {
        try await withCheckedThrowingContinuation { reply in
            condition.lock()
            defer { condition.unlock() }
            guard !closed else { return reply.resume(throwing: TransactionClosed()) }
            pending.append((sql, arguments, reply))
            condition.signal()
        }
    }

    /// Executes statements as they arrive until the body finishes; throws to roll back.
    func serve(_ db: Database) throws {
        while true {
            condition.lock()
            while pending.isEmpty && commit == nil { condition.wait() }
            if pending.isEmpty {
                let commit = commit!
                condition.unlock()
                if commit { return }
                throw RollbackRequested()
            }
            let request = pending.removeFirst()
            condition.unlock()
            do {
                let arguments = StatementArguments(request.arguments.map(\.databaseValue))
                let rows = try Row.fetchAll(db, sql: request.sql, arguments: arguments).map(SQLRow.init(grdb:))
                request.reply.resume(returning: rows)
            } catch {
                request.reply.resume(throwing: error)
            }
        }
    }

    /// Tells the serving thread to commit or roll back once the queued statements have run.
    func finish(committing: Bool) {
        condition.lock()
        commit = committing
        condition.signal()
        condition.unlock()
    }

    /// Fails every statement still waiting, and every later one: GRDB's access has ended.
    func close() {
        condition.lock()
        closed = true
        let orphans = pending
        pending = []
        condition.unlock()
        for request in orphans { request.reply.resume(throwing: TransactionClosed()) }
    }
}

extension SQLValue {
    /// The value as GRDB binds it: booleans as 0/1, dates as GRDB's UTC text.
    var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .integer(let int): int.databaseValue
        case .real(let real): real.databaseValue
        case .text(let text): text.databaseValue
        case .bool(let bool): bool.databaseValue
        case .date(let date): date.databaseValue
        }
    }
}

extension SQLRow {
    /// A GRDB row; blobs, which the schema never stores, read as an unsupported type.
    fileprivate init(grdb row: Row) throws {
        self.init(try zip(row.columnNames, row.databaseValues).map { name, value in
            let value: SQLValue = switch value.storage {
            case .null: .null
            case .int64(let int): .integer(int)
            case .double(let real): .real(real)
            case .string(let text): .text(text)
            case .blob: throw FeedbackDatabaseError.unsupportedType(column: name, type: "BLOB")
            }
            return (name, value)
        })
    }
}
