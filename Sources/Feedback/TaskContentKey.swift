// A task's identity for imports: a digest of its prompt and answers, stored with every task.

import Crypto
import Foundation

/// The SHA-256 of a task's prompt and the multiset of its answers, in hex.
///
/// Neither format the store imports has an id of its own, so what a task asks annotators to
/// compare is its identity: the same prompt with the same answers in another order, or from
/// another file, is the same comparison, and storing it twice would count its judgments twice.
/// Who wrote each answer is not part of it, so a file that credits a stored task's answers to
/// other models is caught as a conflict rather than stored beside it.
package enum TaskContentKey {
    /// The key of a task asking which of `answers` best answers `prompt`.
    package static func of(prompt: String, answers: [String]) -> String {
        var hasher = SHA256()
        // Each text behind its length in bytes, so no text can pass for the end of another.
        func add(_ bytes: [UInt8]) {
            withUnsafeBytes(of: UInt64(bytes.count).bigEndian) { hasher.update(bufferPointer: $0) }
            hasher.update(data: bytes)
        }
        add(Array("rlhf task 1".utf8))
        add(Array(prompt.utf8))
        // Bytes, not Swift's String order, which equates canonically equivalent texts that the
        // databases keep apart.
        for answer in answers.map({ Array($0.utf8) }).sorted(by: { $0.lexicographicallyPrecedes($1) }) { add(answer) }
        return hasher.finalize().map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    // MARK: Keys for tasks stored without one

    /// Tasks are keyed this many at a time, so a large store is never held in memory whole.
    static let backfillStride = 500

    /// The lowest and highest ids of the tasks without a key (NULL when there are none): a lookup
    /// in the key's index once keys exist, so an import that finds none pays one statement.
    static let unkeyedRangeQuery = "SELECT MIN(id) AS first, MAX(id) AS last FROM comparisonTask WHERE contentKey IS NULL"

    /// The prompt and answers of the tasks without a key with ids in [?, ?), for `keys(of:)`.
    /// Strides of ids rather than "the next 500 without a key": while the migration hashes, every
    /// key is NULL and PostgreSQL has no statistics for the new column, so it would read all of
    /// them through the key's index for each stride.
    static let unkeyedTasksQuery = """
        SELECT t.id AS taskID, p.text AS prompt, c.text AS answer FROM comparisonTask t
        JOIN prompt p ON p.id = t.promptID
        JOIN taskCompletion tc ON tc.taskID = t.id
        JOIN completion c ON c.id = tc.completionID
        WHERE t.id >= ? AND t.id < ? AND t.contentKey IS NULL ORDER BY t.id, tc.position
        """

    /// Each task's key from `unkeyedTasksQuery`'s rows (task id, prompt, one answer), grouped by task.
    static func keys(of rows: [(taskID: Int64, prompt: String, answer: String)]) -> [(taskID: Int64, key: String)] {
        var keys: [(taskID: Int64, key: String)] = []
        var start = rows.startIndex
        while start < rows.endIndex {
            let taskID = rows[start].taskID
            let end = rows[start...].firstIndex { $0.taskID != taskID } ?? rows.endIndex
            keys.append((taskID, of(prompt: rows[start].prompt, answers: rows[start..<end].map(\.answer))))
            start = end
        }
        return keys
    }

    /// One statement storing `keys`, in the SQL both engines accept. A task another transaction
    /// keyed meanwhile (a concurrent import, once it commits) is left as it is.
    static func update(storing keys: [(taskID: Int64, key: String)]) -> (sql: String, arguments: [SQLValue]) {
        let sql = "UPDATE comparisonTask SET contentKey = CASE id " + repeatElement("WHEN ? THEN ? ", count: keys.count).joined()
            + "END WHERE contentKey IS NULL AND id IN (" + repeatElement("?", count: keys.count).joined(separator: ", ") + ")"
        return (sql, keys.flatMap { [SQLValue.integer($0.taskID), .text($0.key)] } + keys.map { .integer($0.taskID) })
    }

    /// Keys every task stored without a key, a stride at a time: the PostgreSQL migration's
    /// backfill, and the start of every import, since a server of the version before keys, still
    /// running on a shared store that a newer one migrated, goes on storing tasks without them.
    static func keyUnkeyedTasks(_ transaction: any SQLTransaction) async throws {
        guard let range = try await transaction.row(unkeyedRangeQuery),
              let first = try range["first"] as Int64?, let last = try range["last"] as Int64?
        else { return }
        for start in stride(from: first, through: last, by: backfillStride) {
            let rows = try await transaction.rows(unkeyedTasksQuery, .integer(start), .integer(start + Int64(backfillStride)))
                .map { (taskID: try $0["taskID"] as Int64, prompt: try $0["prompt"] as String, answer: try $0["answer"] as String) }
            guard !rows.isEmpty else { continue }
            let update = update(storing: keys(of: rows))
            try await transaction.execute(update.sql, arguments: update.arguments)
        }
    }
}
