// Submitting, reading and withdrawing judgments, always scoped to the annotator who made them.

import Foundation
import GRDB

/// A judgment with the tiers it assigned.
package struct StoredJudgment: Codable, Sendable, Equatable {
    /// The judgment row.
    package var judgment: Judgment
    /// Completion ids grouped in tiers, best first.
    package var tiers: [[Int64]]
}

extension FeedbackStore {
    /// Stores `annotatorID`'s judgment of a task, replacing their earlier judgment of it (and the
    /// better answer written with that one). Nothing is stored unless all of it is valid.
    @discardableResult
    package func submit(_ submission: JudgmentSubmission, by annotatorID: Int64, now: Date = Date()) async throws -> StoredJudgment {
        try await database.write { db in try Self.upsertJudgment(db, submission, annotatorID: annotatorID, now: now) }
    }

    /// Stores a judgment inside an open transaction; importers batch many in one.
    static func upsertJudgment(_ db: Database, _ submission: JudgmentSubmission, annotatorID: Int64, now: Date) throws -> StoredJudgment {
        let details = try taskDetails(db, taskID: submission.taskID)
        let tierOf = try submission.validatedTiers(taskCompletions: details.completions.map { $0.id! })
        var judgment = try Judgment
            .filter(Column("taskID") == submission.taskID && Column("annotatorID") == annotatorID)
            .fetchOne(db)
            ?? Judgment(taskID: submission.taskID, annotatorID: annotatorID, kind: submission.kind,
                        bothBad: false, createdAt: now, updatedAt: now)
        judgment.kind = submission.kind
        judgment.bothBad = submission.bothBad
        judgment.reason = try validatedText(submission.reason, field: "reason", limit: JudgmentSubmission.textLimit)
        judgment.updatedAt = now
        try judgment.save(db)
        let judgmentID = judgment.id!
        try JudgmentRank.filter(Column("judgmentID") == judgmentID).deleteAll(db)
        for (completionID, tier) in tierOf {
            try JudgmentRank(judgmentID: judgmentID, completionID: completionID, tier: tier).insert(db)
        }
        try Demonstration.filter(Column("judgmentID") == judgmentID).deleteAll(db)
        if let answer = try validatedText(submission.betterAnswer, field: "betterAnswer", limit: JudgmentSubmission.textLimit) {
            var demonstration = Demonstration(
                promptID: details.prompt.id!, annotatorID: annotatorID, text: answer,
                judgmentID: judgmentID, origin: .labeling, createdAt: now
            )
            try demonstration.insert(db)
        }
        return StoredJudgment(judgment: judgment, tiers: submission.tiers)
    }

    /// One of `annotatorID`'s own judgments; another annotator's reads as not found.
    package func judgment(id: Int64, for annotatorID: Int64) async throws -> StoredJudgment {
        try await database.read { db in
            guard let judgment = try Self.ownJudgment(db, id: id, annotatorID: annotatorID) else {
                throw FeedbackError.judgmentNotFound(id)
            }
            return try Self.stored(db, judgment)
        }
    }

    /// All of `annotatorID`'s judgments, most recently changed first.
    package func judgments(for annotatorID: Int64, limit: Int = 100) async throws -> [StoredJudgment] {
        try await database.read { db in
            try Judgment.filter(Column("annotatorID") == annotatorID)
                .order(Column("updatedAt").desc, Column("id").desc)
                .limit(limit)
                .fetchAll(db)
                .map { try Self.stored(db, $0) }
        }
    }

    /// Withdraws one of `annotatorID`'s own judgments; another annotator's reads as not found.
    package func deleteJudgment(id: Int64, for annotatorID: Int64) async throws {
        try await database.write { db in
            guard let judgment = try Self.ownJudgment(db, id: id, annotatorID: annotatorID) else {
                throw FeedbackError.judgmentNotFound(id)
            }
            try judgment.delete(db)
        }
    }

    private static func ownJudgment(_ db: Database, id: Int64, annotatorID: Int64) throws -> Judgment? {
        try Judgment.filter(Column("id") == id && Column("annotatorID") == annotatorID).fetchOne(db)
    }

    private static func stored(_ db: Database, _ judgment: Judgment) throws -> StoredJudgment {
        let ranks = try JudgmentRank.filter(Column("judgmentID") == judgment.id!).order(Column("tier"), Column("completionID")).fetchAll(db)
        let tiers = Dictionary(grouping: ranks, by: \.tier).sorted { $0.key < $1.key }.map { $0.value.map(\.completionID) }
        return StoredJudgment(judgment: judgment, tiers: tiers)
    }
}
