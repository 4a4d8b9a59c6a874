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

    // MARK: Keys for tasks stored before keys were (the migration that adds them)

    /// Task ids are read this many at a time, so a large store is never held in memory whole.
    static let backfillStride = 500

    /// The prompt and answers of the tasks with ids in (?, ?], for `keys(of:)`.
    static let backfillQuery = """
        SELECT t.id AS taskID, p.text AS prompt, c.text AS answer FROM comparisonTask t
        JOIN prompt p ON p.id = t.promptID
        JOIN taskCompletion tc ON tc.taskID = t.id
        JOIN completion c ON c.id = tc.completionID
        WHERE t.id > ? AND t.id <= ? ORDER BY t.id, tc.position
        """

    /// Each task's key from `backfillQuery`'s rows (task id, prompt, one answer), grouped by task.
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
}
