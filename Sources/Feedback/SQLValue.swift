// Values bound to and read from statements, in a form both database engines share.

import Foundation

/// A value bound to a statement's placeholder or read from a result column.
///
/// Dates and booleans keep their meaning here and the backend stores them its own way
/// (PostgreSQL: `timestamptz` and `boolean`; SQLite: GRDB's UTC text and 0/1), so reading
/// accepts both forms.
package enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case bool(Bool)
    case date(Date)

    /// The value's kind, for error messages.
    var kind: String {
        switch self {
        case .null: "NULL"
        case .integer: "an integer"
        case .real: "a real number"
        case .text: "text"
        case .bool: "a boolean"
        case .date: "a timestamp"
        }
    }
}

extension SQLValue {
    /// An optional integer (NULL when absent).
    package static func nullable(_ value: Int64?) -> SQLValue { value.map { .integer($0) } ?? .null }
    /// An optional text (NULL when absent).
    package static func nullable(_ value: String?) -> SQLValue { value.map { .text($0) } ?? .null }
    /// A Swift `Int`.
    package static func int(_ value: Int) -> SQLValue { .integer(Int64(value)) }
    /// A Codable value stored as JSON text (NULL when absent): sampling settings, chat messages.
    package static func json(_ value: (some Encodable)?) throws -> SQLValue {
        guard let value else { return .null }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return .text(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}

/// A type a result column can be read as.
package protocol SQLDecodable {
    /// Reads `value` from `column`, or throws if it holds something else.
    init(sqlValue value: SQLValue, column: String) throws
}

extension Int64: SQLDecodable {
    package init(sqlValue value: SQLValue, column: String) throws {
        guard case .integer(let int) = value else { throw SQLRow.mismatch(column, "an integer", value) }
        self = int
    }
}

extension Int: SQLDecodable {
    package init(sqlValue value: SQLValue, column: String) throws {
        self = Int(try Int64(sqlValue: value, column: column))
    }
}

extension Double: SQLDecodable {
    package init(sqlValue value: SQLValue, column: String) throws {
        switch value {
        case .real(let real): self = real
        case .integer(let int): self = Double(int)
        default: throw SQLRow.mismatch(column, "a number", value)
        }
    }
}

extension String: SQLDecodable {
    package init(sqlValue value: SQLValue, column: String) throws {
        guard case .text(let text) = value else { throw SQLRow.mismatch(column, "text", value) }
        self = text
    }
}

extension Bool: SQLDecodable {
    package init(sqlValue value: SQLValue, column: String) throws {
        switch value {
        case .bool(let bool): self = bool
        case .integer(let int): self = int != 0
        default: throw SQLRow.mismatch(column, "a boolean", value)
        }
    }
}

extension Date: SQLDecodable {
    package init(sqlValue value: SQLValue, column: String) throws {
        switch value {
        case .date(let date): self = date
        case .text(let text):
            guard let date = SQLiteFeedbackDatabase.date(fromStored: text) else { throw SQLRow.mismatch(column, "a timestamp", value) }
            self = date
        default: throw SQLRow.mismatch(column, "a timestamp", value)
        }
    }
}

extension Optional: SQLDecodable where Wrapped: SQLDecodable {
    package init(sqlValue value: SQLValue, column: String) throws {
        self = value == .null ? nil : try Wrapped(sqlValue: value, column: column)
    }
}

/// One result row, its columns looked up by name.
///
/// Names are compared in lower case: PostgreSQL folds unquoted identifiers (`taskID` comes back
/// as `taskid`) where SQLite keeps them as written.
package struct SQLRow: Sendable {
    private let columns: [(name: String, value: SQLValue)]

    /// A row of (column name, value) pairs in result order.
    package init(_ columns: [(name: String, value: SQLValue)]) {
        self.columns = columns.map { ($0.name.lowercased(), $0.value) }
    }

    /// The value of `column`, decoded.
    package subscript<T: SQLDecodable>(_ column: String) -> T {
        get throws {
            let key = column.lowercased()
            guard let value = columns.first(where: { $0.name == key })?.value else {
                throw FeedbackDatabaseError.unexpectedColumn(column, expected: "a result column", found: "no such column")
            }
            return try T(sqlValue: value, column: column)
        }
    }

    /// The first column, decoded.
    package func first<T: SQLDecodable>(_ type: T.Type = T.self) throws -> T {
        guard let first = columns.first else {
            throw FeedbackDatabaseError.unexpectedColumn("(first)", expected: "a result column", found: "an empty row")
        }
        return try T(sqlValue: first.value, column: first.name)
    }

    /// A Codable value stored as JSON text in `column`, nil when NULL.
    package func json<T: Decodable>(_ type: T.Type, _ column: String) throws -> T? {
        guard let text: String? = try self[column], let text else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            throw FeedbackDatabaseError.unexpectedColumn(column, expected: "JSON for \(T.self)", found: "'\(text.prefix(80))'")
        }
    }

    static func mismatch(_ column: String, _ expected: String, _ value: SQLValue) -> FeedbackDatabaseError {
        .unexpectedColumn(column, expected: expected, found: value.kind)
    }
}
