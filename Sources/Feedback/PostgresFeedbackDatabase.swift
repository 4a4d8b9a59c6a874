// The shared backend: a PostgreSQL database that several server processes use at once.

import Foundation
import PostgresNIO

/// The feedback store's PostgreSQL database, through a pool of PostgresNIO connections.
///
/// Nothing here assumes one process: ids come from identity columns, writes that may race
/// (the same prompt, annotator name or judgment from two servers) are single `INSERT ... ON
/// CONFLICT` statements, and migrations run under an advisory lock. Writes run at READ
/// COMMITTED, where those statements wait for a concurrent transaction on the same row and
/// then see its result; reads run at REPEATABLE READ so a multi-statement read sees one state.
package final class PostgresFeedbackDatabase: FeedbackDatabase {
    /// Where the database is.
    package let location: PostgresLocation
    private let client: PostgresClient
    private let running: Task<Void, Never>
    private static let logger = Logger(label: "rlhf.feedback.postgres")
    /// A deadlock between two writers aborts one of them; it is run again this many times.
    private static let attempts = 5

    /// Connects, migrates the schema (up to `last` when given, as for `SQLiteFeedbackDatabase`),
    /// and keeps a connection pool open until the database is released.
    package init(location: PostgresLocation, migratingUpTo last: FeedbackSchemaVersion? = nil) async throws {
        self.location = location
        client = PostgresClient(configuration: location.clientConfiguration, backgroundLogger: Self.logger)
        // Started before migrating, so the run loop is going by the first lease (a lease before it
        // waits, but PostgresNIO logs a warning each time); a failed migration cancels it in deinit.
        running = Task { [client] in await client.run() }
        try await Self.withConnection(to: location) { connection in
            try await PostgresMigrations.migrate(PostgresTransaction(connection: connection, logger: Self.logger), upTo: last)
        }
    }

    deinit {
        running.cancel()
    }

    package func read<T: Sendable>(_ body: @Sendable (any SQLTransaction) async throws -> T) async throws -> T {
        try await transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body)
    }

    package func write<T: Sendable>(_ body: @Sendable (any SQLTransaction) async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await transaction("BEGIN ISOLATION LEVEL READ COMMITTED", body)
            } catch FeedbackDatabaseError.statementFailed(let state, _, _)
                where (state == "40P01" || state == "40001") && attempt < Self.attempts {
                // Deadlock or serialization failure: the server rolled back; back off and retry.
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...10) * attempt))
                attempt += 1
            }
        }
    }

    package func appliedMigrations() async throws -> [String] {
        try await read { try await PostgresMigrations.applied($0) }
    }

    private func transaction<T: Sendable>(_ begin: String, _ body: @Sendable (any SQLTransaction) async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            let transaction = PostgresTransaction(connection: connection, logger: Self.logger)
            try await transaction.execute(begin)
            do {
                let result = try await body(transaction)
                try await transaction.execute("COMMIT")
                return result
            } catch {
                try? await transaction.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// Runs `body` on one new connection, closed afterwards; failing to connect is `.unreachable`.
    static func withConnection<T: Sendable>(
        to location: PostgresLocation, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: try location.connectionConfiguration(), id: 0, logger: logger)
        } catch let error as PSQLError {
            throw FeedbackDatabaseError.unreachable(location.description, reason: error.readableDescription)
        } catch {
            throw FeedbackDatabaseError.unreachable(location.description, reason: "\(error)")
        }
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Creates an empty database named `name` on `server`'s server (a test's own database).
    package static func createDatabase(named name: String, on server: PostgresLocation) async throws {
        guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw FeedbackDatabaseError.invalidLocation(name, reason: "database names here are letters, digits and _")
        }
        try await withConnection(to: server) { connection in
            // CREATE DATABASE cannot run inside a transaction block, so not through `write`.
            try await PostgresTransaction(connection: connection, logger: logger).execute("CREATE DATABASE \(name)")
        }
    }
}

/// Statements on one leased connection inside an open transaction.
struct PostgresTransaction: SQLTransaction {
    let connection: PostgresConnection
    let logger: Logger

    func rows(_ sql: String, _ arguments: [SQLValue]) async throws -> [SQLRow] {
        var bindings = PostgresBindings(capacity: arguments.count)
        for argument in arguments {
            switch argument {
            case .null: bindings.appendNull()
            case .integer(let int): bindings.append(int)
            case .real(let real): bindings.append(real)
            case .text(let text): bindings.append(text)
            case .bool(let bool): bindings.append(bool)
            case .date(let date): bindings.append(date)
            }
        }
        let query = PostgresQuery(unsafeSQL: Self.numberingPlaceholders(sql), binds: bindings)
        do {
            return try await connection.query(query, logger: logger).collect().map(SQLRow.init(postgres:))
        } catch let error as PSQLError {
            throw FeedbackDatabaseError.statementFailed(
                sqlState: error.serverInfo?[.sqlState] ?? "none", message: error.readableDescription, statement: sql)
        }
    }

    /// PostgreSQL numbers its placeholders: each `?` outside a quoted literal becomes `$1`, `$2`, ...
    static func numberingPlaceholders(_ sql: String) -> String {
        var result = ""
        var count = 0
        var quote: Character?
        for character in sql {
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "'" || character == "\"" {
                quote = character
            } else if character == "?" {
                count += 1
                result += "$\(count)"
                continue
            }
            result.append(character)
        }
        return result
    }
}

extension SQLRow {
    /// A PostgreSQL row, each column read by its type; the schema uses no other types.
    fileprivate init(postgres row: PostgresRow) throws {
        self.init(try row.map { cell in
            guard cell.bytes != nil else { return (cell.columnName, .null) }
            let value: SQLValue = switch cell.dataType {
            case .bool: .bool(try cell.decode(Bool.self))
            case .int2, .int4, .int8: .integer(try cell.decode(Int64.self))
            case .float4, .float8: .real(try cell.decode(Double.self))
            case .text, .varchar, .name, .bpchar: .text(try cell.decode(String.self))
            case .timestamptz, .timestamp: .date(try cell.decode(Date.self))
            default: throw FeedbackDatabaseError.unsupportedType(column: cell.columnName, type: "\(cell.dataType)")
            }
            return (cell.columnName, value)
        })
    }
}

extension PSQLError {
    /// What the server said, or what went wrong on the way (PSQLError's own description hides it).
    var readableDescription: String {
        if let message = serverInfo?[.message] {
            return message + (serverInfo?[.detail].map { " (\($0))" } ?? "")
        }
        return "\(code)" + (underlying.map { ": \($0)" } ?? "")
    }
}
