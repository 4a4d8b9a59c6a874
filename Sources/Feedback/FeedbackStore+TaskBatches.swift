// Tasks made together under a name: a round of `rlhf iterate` or its arena makes a batch, counts
// the judgments of its own tasks while the store holds other work, and closes the batch when it
// has what it needs, so the queue stops serving tasks whose answers are out of date.

import Foundation

/// A task to store with others: its prompt, its completions and, when a reward model scored it,
/// how uncertain that model is about it (0...1).
package struct NewTask: Sendable {
    package var prompt: String
    package var completions: [NewCompletion]
    package var uncertainty: Double?

    package init(prompt: String, completions: [NewCompletion], uncertainty: Double? = nil) {
        self.prompt = prompt
        self.completions = completions
        self.uncertainty = uncertainty
    }
}

extension FeedbackStore {
    /// Stores `tasks` (in `batch` when given) with their uncertainties in one transaction: a
    /// process stopped meanwhile leaves all of them or none, so a batch found in the store is whole.
    package func createTasks(_ tasks: [NewTask], batch: String? = nil) async throws -> [TaskDetails] {
        for (index, task) in tasks.enumerated() {
            if let value = task.uncertainty, !(0...1).contains(value) {
                throw FeedbackError.invalidField(name: "tasks[\(index)].uncertainty", reason: "must lie in 0...1, got \(value)")
            }
        }
        let now = Date()
        return try await database.write { transaction in
            var stored: [TaskDetails] = [], uncertainties: [(Int64, Double)] = []
            for task in tasks {
                let details = try await Self.insertTask(transaction, prompt: task.prompt, completions: task.completions, batch: batch)
                stored.append(details)
                if let value = task.uncertainty { uncertainties.append((details.task.id!, value)) }
            }
            try await Self.insertUncertainties(transaction, uncertainties, now: now)
            return stored
        }
    }

    /// The ids of the tasks in `batch`, oldest first; empty when there are none.
    package func taskIDs(inBatch batch: String) async throws -> [Int64] {
        try await database.read { transaction in
            try await transaction.rows("SELECT id FROM comparisonTask WHERE batch = ? ORDER BY id", .text(batch)).map { try $0.first(Int64.self) }
        }
    }

    /// The batches whose names start with `prefix` and that still have open tasks, in name order.
    package func openBatches(named prefix: String) async throws -> [String] {
        try await database.read { transaction in
            // A prefix compared as text, not LIKE: a folder's path may hold % or _.
            try await transaction.rows("""
                SELECT DISTINCT batch FROM comparisonTask
                WHERE closedAt IS NULL AND batch IS NOT NULL AND substr(batch, 1, length(?)) = ? ORDER BY batch
                """, .text(prefix), .text(prefix)).map { try $0.first(String.self) }
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
