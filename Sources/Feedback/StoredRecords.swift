// The store's records read back from result rows, and the column lists that select them.

import FeedbackFormats
import Foundation

extension SQLRow {
    /// A text column holding one of an enumeration's raw values.
    func enumeration<E: RawRepresentable>(_ type: E.Type, _ column: String) throws -> E where E.RawValue == String {
        let raw: String = try self[column]
        guard let value = E(rawValue: raw) else {
            throw FeedbackDatabaseError.unexpectedColumn(column, expected: "a \(E.self)", found: "'\(raw)'")
        }
        return value
    }
}

/// A record selected by a fixed list of columns.
protocol StoredRecord {
    /// The columns `init(row:)` reads, in table order.
    static var columnNames: [String] { get }
    /// Reads the record from a row holding `columnNames`.
    init(row: SQLRow) throws
}

extension StoredRecord {
    /// The column list for a SELECT or RETURNING clause, optionally qualified by a table alias
    /// (and then renamed back, so rows read the same either way).
    static func columns(_ alias: String? = nil) -> String {
        columnNames.map { name in alias.map { "\($0).\(name) AS \(name)" } ?? name }.joined(separator: ", ")
    }
}

extension Annotator: StoredRecord {
    static let columnNames = ["id", "name", "tokenHash", "role", "createdAt"]

    init(row: SQLRow) throws {
        self.init(
            id: try row["id"], name: try row["name"], tokenHash: try row["tokenHash"],
            role: try row.enumeration(AnnotatorRole.self, "role"), createdAt: try row["createdAt"])
    }
}

extension Prompt: StoredRecord {
    static let columnNames = ["id", "text", "messages", "createdAt"]

    init(row: SQLRow) throws {
        self.init(id: try row["id"], text: try row["text"], messages: try row.json([ChatMessage].self, "messages"), createdAt: try row["createdAt"])
    }
}

extension Completion: StoredRecord {
    static let columnNames = ["id", "promptID", "text", "model", "checkpoint", "sampling", "seed", "requestedByAnnotatorID", "createdAt"]

    init(row: SQLRow) throws {
        let provenance = Provenance(
            model: try row["model"], checkpoint: try row["checkpoint"], sampling: try row.json(SamplingParameters.self, "sampling"))
        self.init(
            id: try row["id"], promptID: try row["promptID"], text: try row["text"], provenance: provenance,
            requestedByAnnotatorID: try row["requestedByAnnotatorID"], createdAt: try row["createdAt"])
        seed = try row["seed"]
    }
}

extension ComparisonTask: StoredRecord {
    static let columnNames = ["id", "promptID", "createdAt"]

    init(row: SQLRow) throws {
        self.init(id: try row["id"], promptID: try row["promptID"], createdAt: try row["createdAt"])
    }
}

extension Judgment: StoredRecord {
    static let columnNames = ["id", "taskID", "annotatorID", "kind", "bothBad", "reason", "createdAt", "updatedAt"]

    init(row: SQLRow) throws {
        self.init(
            id: try row["id"], taskID: try row["taskID"], annotatorID: try row["annotatorID"],
            kind: try row.enumeration(JudgmentKind.self, "kind"), bothBad: try row["bothBad"], reason: try row["reason"],
            createdAt: try row["createdAt"], updatedAt: try row["updatedAt"])
    }
}

extension Demonstration: StoredRecord {
    static let columnNames = ["id", "promptID", "annotatorID", "text", "correctsCompletionID", "judgmentID", "origin", "createdAt"]

    init(row: SQLRow) throws {
        self.init(
            id: try row["id"], promptID: try row["promptID"], annotatorID: try row["annotatorID"], text: try row["text"],
            correctsCompletionID: try row["correctsCompletionID"], judgmentID: try row["judgmentID"],
            origin: try row.enumeration(DemonstrationOrigin.self, "origin"), createdAt: try row["createdAt"])
    }

    /// Inserts a demonstration and returns it as stored.
    static func insert(
        _ transaction: any SQLTransaction, promptID: Int64, annotatorID: Int64, text: String,
        correctsCompletionID: Int64? = nil, judgmentID: Int64? = nil, origin: DemonstrationOrigin, now: Date
    ) async throws -> Demonstration {
        try Demonstration(row: try await transaction.inserted("""
            INSERT INTO demonstration (promptID, annotatorID, text, correctsCompletionID, judgmentID, origin, createdAt)
            VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING \(columns())
            """, .integer(promptID), .integer(annotatorID), .text(text), .nullable(correctsCompletionID),
            .nullable(judgmentID), .text(origin.rawValue), .date(now)))
    }
}

extension AnswerRating: StoredRecord {
    static let columnNames = ["id", "completionID", "annotatorID", "isGood", "createdAt"]

    init(row: SQLRow) throws {
        self.init(
            id: try row["id"], completionID: try row["completionID"], annotatorID: try row["annotatorID"],
            isGood: try row["isGood"], createdAt: try row["createdAt"])
    }
}

extension SQLTransaction {
    /// The row an `INSERT ... RETURNING` gave back; an insert that returns nothing is the
    /// engine's failure, not the caller's.
    func inserted(_ sql: String, _ arguments: SQLValue...) async throws -> SQLRow {
        guard let row = try await rows(sql, arguments).first else {
            throw FeedbackDatabaseError.unexpectedColumn("(returning)", expected: "the inserted row", found: "no row")
        }
        return row
    }
}
