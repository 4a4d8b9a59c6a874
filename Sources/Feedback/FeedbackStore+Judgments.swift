// Submitting, reading and withdrawing judgments, always scoped to the annotator who made them.

import Foundation

/// A judgment with the tiers it assigned.
package struct StoredJudgment: Codable, Sendable, Equatable {
    /// The judgment row.
    package var judgment: Judgment
    /// Completion ids grouped in tiers, best first.
    package var tiers: [[Int64]]
}

/// At most `count` new judgments per annotator in any `window` seconds (FastChat's per-user vote
/// limit): one person clicking through tasks cannot outweigh the panel.
package struct VoteLimit: Sendable, Equatable {
    package var count: Int
    package var window: TimeInterval

    package init(count: Int, window: TimeInterval) {
        self.count = count
        self.window = window
    }
}

extension FeedbackStore {
    /// Stores `annotatorID`'s judgment of a task, replacing their earlier judgment of it (and the
    /// better answer written with that one). Nothing is stored unless all of it is valid.
    ///
    /// Under a `voteLimit`, a judgment of a task the annotator has not judged yet is refused when
    /// they already made `count` judgments in the window; revising an earlier one always works.
    /// The count and the insert share one transaction (on PostgreSQL the annotator's row is locked
    /// first), so parallel submissions cannot slip past the limit together.
    @discardableResult
    package func submit(
        _ submission: JudgmentSubmission, by annotatorID: Int64, now: Date = Date(), voteLimit: VoteLimit? = nil
    ) async throws -> StoredJudgment {
        try await database.write { transaction in
            if let voteLimit { try await Self.checkVoteLimit(transaction, voteLimit, taskID: submission.taskID, annotatorID: annotatorID, now: now) }
            return try await Self.upsertJudgment(transaction, submission, annotatorID: annotatorID, now: now)
        }
    }

    private static func checkVoteLimit(
        _ transaction: any SQLTransaction, _ limit: VoteLimit, taskID: Int64, annotatorID: Int64, now: Date
    ) async throws {
        // A no-op update takes the annotator's row lock on PostgreSQL and the write lock on SQLite.
        try await transaction.execute("UPDATE annotator SET role = role WHERE id = ?", .integer(annotatorID))
        let revises = try await transaction.scalar(
            Int.self, "SELECT COUNT(*) FROM judgment WHERE taskID = ? AND annotatorID = ?", .integer(taskID), .integer(annotatorID)) ?? 0
        guard revises == 0 else { return }
        let recent = try await transaction.scalar(
            Int.self, "SELECT COUNT(*) FROM judgment WHERE annotatorID = ? AND createdAt > ?",
            .integer(annotatorID), .date(now.addingTimeInterval(-limit.window))) ?? 0
        if recent >= limit.count { throw FeedbackError.voteLimitReached(limit: limit.count, window: limit.window) }
    }

    /// Stores a judgment inside an open transaction; importers batch many in one.
    ///
    /// The judgment row is written by one upsert, which on PostgreSQL locks it until commit: a
    /// second server storing the same annotator's judgment of the same task waits, then replaces
    /// this one's tiers rather than adding to them.
    static func upsertJudgment(
        _ transaction: any SQLTransaction, _ submission: JudgmentSubmission, annotatorID: Int64, now: Date
    ) async throws -> StoredJudgment {
        let details = try await taskDetails(transaction, taskID: submission.taskID)
        let tierOf = try submission.validatedTiers(taskCompletions: details.completions.map { $0.id! })
        let reason = try validatedText(submission.reason, field: "reason", limit: JudgmentSubmission.textLimit)
        let betterAnswer = try validatedText(submission.betterAnswer, field: "betterAnswer", limit: JudgmentSubmission.textLimit)
        let judgment = try Judgment(row: try await transaction.inserted("""
            INSERT INTO judgment (taskID, annotatorID, kind, bothBad, reason, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (taskID, annotatorID) DO UPDATE SET
              kind = excluded.kind, bothBad = excluded.bothBad, reason = excluded.reason, updatedAt = excluded.updatedAt
            RETURNING \(Judgment.columns())
            """, .integer(submission.taskID), .integer(annotatorID), .text(submission.kind.rawValue), .bool(submission.bothBad),
            .nullable(reason), .date(now), .date(now)))
        let judgmentID = judgment.id!
        try await transaction.execute("DELETE FROM judgmentRank WHERE judgmentID = ?", .integer(judgmentID))
        let ranks = tierOf.sorted { $0.key < $1.key }
        try await transaction.execute(
            "INSERT INTO judgmentRank (judgmentID, completionID, tier) VALUES " + repeatElement("(?, ?, ?)", count: ranks.count).joined(separator: ", "),
            arguments: ranks.flatMap { [.integer(judgmentID), .integer($0.key), .int($0.value)] })
        try await transaction.execute("DELETE FROM demonstration WHERE judgmentID = ?", .integer(judgmentID))
        if let betterAnswer {
            _ = try await Demonstration.insert(
                transaction, promptID: details.prompt.id!, annotatorID: annotatorID, text: betterAnswer,
                judgmentID: judgmentID, origin: .labeling, now: now)
        }
        return StoredJudgment(judgment: judgment, tiers: submission.tiers)
    }

    /// One of `annotatorID`'s own judgments; another annotator's reads as not found.
    package func judgment(id: Int64, for annotatorID: Int64) async throws -> StoredJudgment {
        try await database.read { transaction in
            guard let judgment = try await Self.ownJudgments(transaction, "id = ? AND annotatorID = ?", [.integer(id), .integer(annotatorID)]).first
            else { throw FeedbackError.judgmentNotFound(id) }
            return judgment
        }
    }

    /// All of `annotatorID`'s judgments, most recently changed first.
    package func judgments(for annotatorID: Int64, limit: Int = 100) async throws -> [StoredJudgment] {
        try await database.read { transaction in
            try await Self.ownJudgments(transaction, "annotatorID = ? ORDER BY updatedAt DESC, id DESC LIMIT ?", [.integer(annotatorID), .int(limit)])
        }
    }

    /// Withdraws one of `annotatorID`'s own judgments; another annotator's reads as not found.
    package func deleteJudgment(id: Int64, for annotatorID: Int64) async throws {
        try await database.write { transaction in
            // Its tiers and better answer go with it (ON DELETE CASCADE).
            guard try await transaction.row("DELETE FROM judgment WHERE id = ? AND annotatorID = ? RETURNING id", .integer(id), .integer(annotatorID)) != nil
            else { throw FeedbackError.judgmentNotFound(id) }
        }
    }

    /// The judgments a WHERE clause selects, with their tiers, read in two statements.
    private static func ownJudgments(_ transaction: any SQLTransaction, _ condition: String, _ arguments: [SQLValue]) async throws -> [StoredJudgment] {
        let judgments = try await transaction.rows("SELECT \(Judgment.columns()) FROM judgment WHERE " + condition, arguments).map(Judgment.init(row:))
        guard !judgments.isEmpty else { return [] }
        // A tier's completions in the task's order (ids are assigned in no meaningful order).
        let ranks = try await transaction.rows(
            """
            SELECT r.judgmentID AS judgmentID, r.completionID AS completionID, r.tier AS tier FROM judgmentRank r
            JOIN judgment j ON j.id = r.judgmentID
            JOIN taskCompletion tc ON tc.taskID = j.taskID AND tc.completionID = r.completionID
            WHERE r.judgmentID IN (
            """ + repeatElement("?", count: judgments.count).joined(separator: ", ") + ") ORDER BY r.judgmentID, r.tier, tc.position",
            judgments.map { .integer($0.id!) })
        var tiers: [Int64: [[Int64]]] = [:]
        var lastTier: [Int64: Int] = [:]
        for rank in ranks {
            let (judgmentID, completionID, tier): (Int64, Int64, Int) = (try rank["judgmentID"], try rank["completionID"], try rank["tier"])
            if lastTier[judgmentID] == tier {
                tiers[judgmentID]![tiers[judgmentID]!.count - 1].append(completionID)
            } else {
                tiers[judgmentID, default: []].append([completionID])
                lastTier[judgmentID] = tier
            }
        }
        return judgments.map { StoredJudgment(judgment: $0, tiers: tiers[$0.id!] ?? []) }
    }
}
