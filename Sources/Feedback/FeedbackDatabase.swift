// The seam between the store and a database engine: transactions of bound SQL statements.

import Foundation

/// A database the feedback store runs on: SQLite through GRDB, or a PostgreSQL server.
///
/// The store writes its statements once, in the SQL both engines accept: `?` placeholders,
/// `INSERT ... ON CONFLICT ... RETURNING`, unquoted identifiers. Each backend keeps its own
/// differences (placeholder syntax, how values are bound and read back, the DDL of each
/// migration, retrying transactions the server aborted) to itself.
package protocol FeedbackDatabase: Sendable {
    /// Runs `body` in a transaction that sees one consistent state and changes nothing.
    func read<T: Sendable>(_ body: @Sendable (any SQLTransaction) async throws -> T) async throws -> T

    /// Runs `body` in a write transaction: committed when `body` returns, rolled back when it
    /// throws. A backend may run `body` again when the engine aborted the transaction because of
    /// a concurrent one (a deadlock), so `body` must have no effects outside the transaction.
    func write<T: Sendable>(_ body: @Sendable (any SQLTransaction) async throws -> T) async throws -> T

    /// The schema migrations applied, oldest first.
    func appliedMigrations() async throws -> [String]
}

/// Statements issued inside one transaction. Not to be kept after the transaction ends.
package protocol SQLTransaction: Sendable {
    /// Runs one statement with its `?` placeholders bound to `arguments`, returning its rows.
    func rows(_ sql: String, _ arguments: [SQLValue]) async throws -> [SQLRow]
}

extension SQLTransaction {
    /// The statement's rows.
    package func rows(_ sql: String, _ arguments: SQLValue...) async throws -> [SQLRow] {
        try await rows(sql, arguments)
    }

    /// The statement's first row, if any.
    package func row(_ sql: String, _ arguments: SQLValue...) async throws -> SQLRow? {
        try await rows(sql, arguments).first
    }

    /// Runs a statement for its effect.
    package func execute(_ sql: String, _ arguments: SQLValue...) async throws {
        _ = try await rows(sql, arguments)
    }

    /// Runs a statement for its effect, its arguments built as a list (multi-row inserts).
    package func execute(_ sql: String, arguments: [SQLValue]) async throws {
        _ = try await rows(sql, arguments)
    }

    /// The first column of the first row, decoded (a count, an id).
    package func scalar<T: SQLDecodable>(_ type: T.Type = T.self, _ sql: String, _ arguments: SQLValue...) async throws -> T? {
        guard let row = try await rows(sql, arguments).first else { return nil }
        return try row.first()
    }
}

/// Where the feedback store lives, as `--db` names it: a SQLite file path or a PostgreSQL URL.
package enum FeedbackLocation: Sendable, Equatable, CustomStringConvertible {
    /// A SQLite file, created if missing.
    case sqlite(path: String)
    /// A PostgreSQL database, `postgres://user[:password]@host[:port]/database[?sslmode=...]`.
    case postgres(PostgresLocation)

    /// Reads a `--db` value: a `postgres://` or `postgresql://` URL, otherwise a file path.
    package init(parsing text: String) throws {
        let lowered = text.lowercased()
        if lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://") {
            self = .postgres(try PostgresLocation(url: text))
        } else {
            guard !text.isEmpty else { throw FeedbackDatabaseError.invalidLocation(text, reason: "empty path") }
            self = .sqlite(path: text)
        }
    }

    package var description: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let location): location.description
        }
    }
}

/// A failure of the database under the store, with what the engine said.
package enum FeedbackDatabaseError: Error, Equatable, CustomStringConvertible {
    /// The `--db` value names no database the store can open.
    case invalidLocation(String, reason: String)
    /// The server could not be reached or refused the connection.
    case unreachable(String, reason: String)
    /// A store file that exists but cannot be opened as asked (permissions, a read-only disk).
    case unopenable(String, reason: String)
    /// The engine refused a statement.
    case statementFailed(sqlState: String, message: String, statement: String)
    /// A result column is missing or holds another type than the store expects.
    case unexpectedColumn(String, expected: String, found: String)
    /// The engine returned a type of value the store does not read.
    case unsupportedType(column: String, type: String)
    /// An insert that gives way to a stored duplicate (`ON CONFLICT DO NOTHING`) stored nothing,
    /// yet no duplicate can be read afterwards: a concurrent transaction deleted it in between.
    case skippedInsertFoundNoDuplicate(table: String, row: String)

    package var description: String {
        switch self {
        case .invalidLocation(let text, let reason): "'\(text)' is not a feedback database: \(reason)"
        case .unreachable(let location, let reason): "cannot connect to \(location): \(reason)"
        case .unopenable(let path, let reason): "'\(path)' cannot be opened: \(reason)"
        case .statementFailed(let state, let message, let statement):
            "the database refused a statement (SQLSTATE \(state)): \(message) [\(statement.prefix(120))]"
        case .unexpectedColumn(let column, let expected, let found): "column '\(column)': expected \(expected), found \(found)"
        case .unsupportedType(let column, let type): "column '\(column)' has type \(type), which the store does not read"
        case .skippedInsertFoundNoDuplicate(let table, let row):
            "\(row) was not stored in '\(table)': it gave way to a duplicate, which then could not be found (deleted meanwhile?); try again"
        }
    }
}
