// The labeling queue's policy and the per-task uncertainties it weighs, as stored and applied.

import Foundation

extension FeedbackStore {
    /// The settings row holding the queue's policy.
    private static let selectionSetting = "taskSelection"

    /// Stores the policy every later `nextTask(for:)` follows, on every server sharing this database.
    package func setTaskSelection(_ selection: TaskSelection) async throws {
        try selection.validate()
        let value = try SQLValue.json(selection)
        try await database.write { transaction in
            try await transaction.execute("""
                INSERT INTO storeSetting (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value
                """, .text(Self.selectionSetting), value)
        }
    }

    /// The policy in force: `coverageFirst` until one is set.
    package func taskSelection() async throws -> TaskSelection {
        try await database.read { transaction in try await Self.taskSelection(transaction) }
    }

    private static func taskSelection(_ transaction: any SQLTransaction) async throws -> TaskSelection {
        guard let row = try await transaction.row("SELECT value FROM storeSetting WHERE name = ?", .text(selectionSetting)),
              let selection = try row.json(TaskSelection.self, "value")
        else { return .coverageFirst }
        return selection
    }

    /// Records how uncertain the reward model is about each task (taskID → 0...1, 1 = most
    /// uncertain), replacing earlier values for those tasks; other tasks keep theirs.
    package func setTaskUncertainties(_ values: [Int64: Double]) async throws {
        for (taskID, value) in values where !(0...1).contains(value) {
            throw FeedbackError.invalidField(name: "uncertainty[\(taskID)]", reason: "must lie in 0...1, got \(value)")
        }
        let entries = values.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let now = Date()
        try await database.write { transaction in
            for start in stride(from: 0, to: entries.count, by: 500) {
                try await Self.requireTasks(transaction, entries[start..<min(start + 500, entries.count)].map(\.0))
            }
            try await Self.insertUncertainties(transaction, entries, now: now)
        }
    }

    /// Writes (task id, value) pairs over any earlier values, inside an open transaction.
    static func insertUncertainties(_ transaction: any SQLTransaction, _ entries: [(Int64, Double)], now: Date) async throws {
        // Chunks keep each statement's placeholders well under SQLite's and PostgreSQL's limits.
        for start in stride(from: 0, to: entries.count, by: 500) {
            let chunk = entries[start..<min(start + 500, entries.count)]
            try await transaction.execute(
                "INSERT INTO taskUncertainty (taskID, value, updatedAt) VALUES "
                    + repeatElement("(?, ?, ?)", count: chunk.count).joined(separator: ", ")
                    + " ON CONFLICT (taskID) DO UPDATE SET value = excluded.value, updatedAt = excluded.updatedAt",
                arguments: chunk.flatMap { [.integer($0.0), .real($0.1), .date(now)] })
        }
    }

    /// Every task's recorded uncertainty.
    package func taskUncertainties() async throws -> [Int64: Double] {
        try await database.read { transaction in
            Dictionary(uniqueKeysWithValues: try await transaction.rows("SELECT taskID, value FROM taskUncertainty").map {
                (try $0["taskID"] as Int64, try $0["value"] as Double)
            })
        }
    }

    /// Every task's id, oldest first (for scoring them all).
    package func taskIDs() async throws -> [Int64] {
        try await database.read { transaction in
            try await transaction.rows("SELECT id FROM comparisonTask ORDER BY id").map { try $0.first(Int64.self) }
        }
    }

    /// How far each task's judgments disagree so far (0...1; tasks with under two judgments are 0).
    package func taskDisagreements() async throws -> [Int64: Double] {
        try await database.read { transaction in try await Self.disagreements(transaction) }
    }

    private static func requireTasks(_ transaction: any SQLTransaction, _ ids: [Int64]) async throws {
        let found = Set(try await transaction.rows(
            "SELECT id FROM comparisonTask WHERE id IN (" + repeatElement("?", count: ids.count).joined(separator: ", ") + ")",
            ids.map { .integer($0) }).map { try $0.first(Int64.self) })
        if let missing = ids.first(where: { !found.contains($0) }) { throw FeedbackError.taskNotFound(missing) }
    }

    /// The id of the task `annotatorID` should judge next under the stored policy.
    static func nextTaskID(_ transaction: any SQLTransaction, annotatorID: Int64) async throws -> Int64? {
        let selection = try await taskSelection(transaction)
        if selection.ordersByCoverageOnly {
            // The same order `choose` gives when every worth is 0, without reading every task.
            return try await transaction.scalar(Int64.self, """
                SELECT t.id FROM comparisonTask t
                WHERE t.closedAt IS NULL AND NOT EXISTS (SELECT 1 FROM judgment j WHERE j.taskID = t.id AND j.annotatorID = ?)
                ORDER BY (SELECT COUNT(*) FROM judgment j WHERE j.taskID = t.id), t.id
                LIMIT 1
                """, .integer(annotatorID))
        }
        let candidates = try await transaction.rows("""
            SELECT t.id AS taskID, (SELECT COUNT(*) FROM judgment j WHERE j.taskID = t.id) AS judgments, u.value AS uncertainty
            FROM comparisonTask t LEFT JOIN taskUncertainty u ON u.taskID = t.id
            WHERE t.closedAt IS NULL AND NOT EXISTS (SELECT 1 FROM judgment j WHERE j.taskID = t.id AND j.annotatorID = ?)
            ORDER BY t.id
            """, .integer(annotatorID))
        let disagreements = selection.disagreementWeight > 0 ? try await disagreements(transaction) : [:]
        let judgments = try await transaction.scalar(Int.self, "SELECT COUNT(*) FROM judgment") ?? 0
        return selection.choose(
            from: try candidates.map { row in
                let taskID: Int64 = try row["taskID"]
                return SelectionCandidate(
                    taskID: taskID, judgments: try row["judgments"], uncertainty: try row["uncertainty"], disagreement: disagreements[taskID] ?? 0)
            },
            annotatorID: annotatorID, judgments: judgments)
    }

    /// Disagreement per task with two or more judgments, from how often each completion was put first.
    private static func disagreements(_ transaction: any SQLTransaction) async throws -> [Int64: Double] {
        let sizes = try await transaction.rows("""
            SELECT t.id AS taskID, (SELECT COUNT(*) FROM taskCompletion tc WHERE tc.taskID = t.id) AS completions,
                   COUNT(*) AS judgments
            FROM comparisonTask t JOIN judgment j ON j.taskID = t.id GROUP BY t.id HAVING COUNT(*) >= 2
            """)
        guard !sizes.isEmpty else { return [:] }
        var topCounts: [Int64: [Int]] = [:]
        for row in try await transaction.rows("""
            SELECT j.taskID AS taskID, COUNT(*) AS tops FROM judgment j JOIN judgmentRank r ON r.judgmentID = j.id
            WHERE r.tier = 0 GROUP BY j.taskID, r.completionID
            """) {
            topCounts[try row["taskID"], default: []].append(try row["tops"])
        }
        var result: [Int64: Double] = [:]
        for row in sizes {
            let taskID: Int64 = try row["taskID"]
            result[taskID] = disagreement(topCounts: topCounts[taskID] ?? [], judgments: try row["judgments"], completions: try row["completions"])
        }
        return result
    }
}
