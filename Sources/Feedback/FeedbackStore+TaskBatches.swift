// Tasks made together under a name: a round of `rlhf iterate` or its arena makes a batch, counts
// the judgments of its own tasks while the store holds other work, and closes the batch when it
// has what it needs, so the queue stops serving tasks whose answers are out of date.

import Foundation

extension FeedbackStore {
    /// The ids of the tasks in `batch`, oldest first; empty when there are none.
    package func taskIDs(inBatch batch: String) async throws -> [Int64] {
        try await database.read { transaction in
            try await transaction.rows("SELECT id FROM comparisonTask WHERE batch = ? ORDER BY id", .text(batch)).map { try $0.first(Int64.self) }
        }
    }

    /// Judgments of the tasks in `batch`, by every annotator.
    package func judgmentCount(inBatch batch: String) async throws -> Int {
        try await database.read { transaction in
            try await transaction.scalar(Int.self, """
                SELECT COUNT(*) FROM judgment j JOIN comparisonTask t ON t.id = j.taskID WHERE t.batch = ?
                """, .text(batch)) ?? 0
        }
    }

    /// Closes the open tasks of `batch` and returns how many: the queue no longer serves them.
    /// Their judgments stay, and a page already showing one of them may still submit it.
    @discardableResult
    package func closeTasks(inBatch batch: String) async throws -> Int {
        try await database.write { transaction in
            let open = try await transaction.scalar(
                Int.self, "SELECT COUNT(*) FROM comparisonTask WHERE batch = ? AND closedAt IS NULL", .text(batch)) ?? 0
            try await transaction.execute(
                "UPDATE comparisonTask SET closedAt = ? WHERE batch = ? AND closedAt IS NULL", .date(Date()), .text(batch))
            return open
        }
    }
}
