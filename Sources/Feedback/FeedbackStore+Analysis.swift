// Reading judgments back out as rankings, model battles, agreement units and per-annotator counts.

import Foundation
import Ratings

/// One judgment with its prompt and ranked completions: the K-way form a reward model trains on.
package struct RankedComparison: Codable, Sendable, Equatable {
    /// A completion with the tier the judgment put it in.
    package struct RankedCompletion: Codable, Sendable, Equatable {
        /// The completion's id.
        package var completionID: Int64
        /// Its text.
        package var text: String
        /// The model that wrote it.
        package var model: String
        /// Its tier: 0 is best, equal tiers are ties.
        package var tier: Int
    }

    /// The judgment.
    package var judgmentID: Int64
    /// The task judged.
    package var taskID: Int64
    /// Who judged.
    package var annotator: String
    /// The prompt text.
    package var prompt: String
    /// Whether the annotator marked every completion unacceptable.
    package var bothBad: Bool
    /// The compared completions, in the task's stored order.
    package var completions: [RankedCompletion]

    /// The chosen/rejected pairs the ranking implies: every pair in different tiers, better first.
    /// Ties imply no preference and give no pair.
    package var preferencePairs: [PreferencePair] {
        var pairs: [PreferencePair] = []
        for (i, a) in completions.enumerated() {
            for b in completions[(i + 1)...] where a.tier != b.tier {
                let (chosen, rejected) = a.tier < b.tier ? (a, b) : (b, a)
                pairs.append(PreferencePair(prompt: prompt, chosen: chosen.text, rejected: rejected.text,
                                            chosenModel: chosen.model, rejectedModel: rejected.model, annotator: annotator))
            }
        }
        return pairs
    }

    /// The battles between different models the ranking implies, in the task's stored order.
    package var battles: [Battle] {
        var battles: [Battle] = []
        for (i, a) in completions.enumerated() {
            for b in completions[(i + 1)...] where a.model != b.model {
                let outcome: BattleOutcome =
                    a.tier < b.tier ? .winA : a.tier > b.tier ? .winB : bothBad ? .bothBad : .tie
                battles.append(Battle(modelA: a.model, modelB: b.model, outcome: outcome))
            }
        }
        return battles
    }
}

/// A preferred and a dispreferred answer to one prompt: a line of TRL's preference format.
package struct PreferencePair: Codable, Sendable, Equatable {
    /// The prompt.
    package var prompt: String
    /// The better answer.
    package var chosen: String
    /// The worse answer.
    package var rejected: String
    /// The model of the better answer (not written to TRL files).
    package var chosenModel: String
    /// The model of the worse answer (not written to TRL files).
    package var rejectedModel: String
    /// Who judged.
    package var annotator: String
}

/// What one annotator has done.
package struct AnnotatorActivity: Codable, Sendable, Equatable {
    /// The annotator's name.
    package var name: String
    /// The annotator's role; nil where annotators read the counts (the leaderboard), since who
    /// administers the store is not theirs to know.
    package var role: AnnotatorRole?
    /// Judgments made.
    package var judgments: Int
    /// Judgments with at least one tie.
    package var withTies: Int
    /// Judgments marking everything "both bad".
    package var bothBad: Int
    /// Demonstrations written (better answers and corrections).
    package var demonstrations: Int
    /// Chat answers rated.
    package var answerRatings: Int
}

extension FeedbackStore {
    /// Every judgment with its ranked completions, in the order judgments were last changed;
    /// with `batches`, only judgments of tasks in those batches. Judgments of annotators an
    /// administrator excluded as outliers are left out unless asked for, so training files and the
    /// leaderboard never see them.
    package func rankedComparisons(includingExcluded: Bool = false, batches: [String]? = nil) async throws -> [RankedComparison] {
        var conditions: [String] = [], arguments: [SQLValue] = []
        if !includingExcluded { conditions.append("NOT a.excludedFromExports") }
        if let batches {
            guard !batches.isEmpty else { return [] }
            conditions.append("t.batch IN (" + repeatElement("?", count: batches.count).joined(separator: ", ") + ")")
            arguments += batches.map { .text($0) }
        }
        return try await database.read { [conditions, arguments] transaction in
            let rows = try await transaction.rows("""
                SELECT j.id AS judgmentID, j.taskID, j.bothBad, a.name AS annotator, p.text AS prompt,
                       c.id AS completionID, c.text, c.model, r.tier
                FROM judgment j
                JOIN annotator a ON a.id = j.annotatorID
                JOIN comparisonTask t ON t.id = j.taskID
                JOIN prompt p ON p.id = t.promptID
                JOIN judgmentRank r ON r.judgmentID = j.id
                JOIN completion c ON c.id = r.completionID
                JOIN taskCompletion tc ON tc.taskID = j.taskID AND tc.completionID = c.id
                \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
                ORDER BY j.updatedAt, j.id, tc.position
                """, arguments)
            var comparisons: [RankedComparison] = []
            for row in rows {
                let ranked = RankedComparison.RankedCompletion(
                    completionID: try row["completionID"], text: try row["text"], model: try row["model"], tier: try row["tier"])
                let judgmentID: Int64 = try row["judgmentID"]
                if comparisons.last?.judgmentID == judgmentID {
                    comparisons[comparisons.count - 1].completions.append(ranked)
                } else {
                    comparisons.append(RankedComparison(
                        judgmentID: judgmentID, taskID: try row["taskID"], annotator: try row["annotator"],
                        prompt: try row["prompt"], bothBad: try row["bothBad"], completions: [ranked]))
                }
            }
            return comparisons
        }
    }

    /// The model battles every judgment implies, in judgment order (online Elo depends on it).
    package func battles() async throws -> [Battle] {
        try await rankedComparisons().flatMap(\.battles)
    }

    /// Agreement units for Krippendorff's alpha over every judgment (see `[RankedComparison].agreementUnits`).
    package func agreementUnits() async throws -> [[Double]] {
        try await rankedComparisons().agreementUnits
    }

    /// Counts of what each annotator has done, busiest first.
    package func annotatorActivity() async throws -> [AnnotatorActivity] {
        try await database.read { transaction in
            try await transaction.rows("""
                SELECT a.name, a.role,
                  (SELECT COUNT(*) FROM judgment j WHERE j.annotatorID = a.id) AS judgments,
                  (SELECT COUNT(*) FROM judgment j WHERE j.annotatorID = a.id AND
                     (SELECT COUNT(DISTINCT r.tier) FROM judgmentRank r WHERE r.judgmentID = j.id)
                     < (SELECT COUNT(*) FROM judgmentRank r WHERE r.judgmentID = j.id)) AS withTies,
                  (SELECT COUNT(*) FROM judgment j WHERE j.annotatorID = a.id AND j.bothBad) AS bothBad,
                  (SELECT COUNT(*) FROM demonstration d WHERE d.annotatorID = a.id) AS demonstrations,
                  (SELECT COUNT(*) FROM answerRating r WHERE r.annotatorID = a.id) AS answerRatings
                FROM annotator a ORDER BY judgments DESC, a.name
                """).map { row in
                AnnotatorActivity(
                    name: try row["name"], role: try row.enumeration(AnnotatorRole.self, "role"),
                    judgments: try row["judgments"], withTies: try row["withTies"], bothBad: try row["bothBad"],
                    demonstrations: try row["demonstrations"], answerRatings: try row["answerRatings"])
            }
        }
    }

    /// Every demonstration with its prompt, oldest first: supervised fine-tuning examples.
    package func demonstrationExamples() async throws -> [DemonstrationExample] {
        try await database.read { transaction in
            try await transaction.rows("""
                SELECT p.text AS prompt, p.messages, d.text AS completion, d.origin, a.name AS annotator
                FROM demonstration d JOIN prompt p ON p.id = d.promptID JOIN annotator a ON a.id = d.annotatorID
                ORDER BY d.id
                """).map { row in
                DemonstrationExample(
                    prompt: try row["prompt"], messages: try row.json([ChatMessage].self, "messages"), completion: try row["completion"],
                    origin: try row.enumeration(DemonstrationOrigin.self, "origin"), annotator: try row["annotator"])
            }
        }
    }
}

/// A demonstration as a supervised example: TRL's prompt-completion format plus its source.
package struct DemonstrationExample: Codable, Sendable, Equatable {
    /// The prompt text (a chat transcript for chat corrections).
    package var prompt: String
    /// The conversation, for chat corrections.
    package var messages: [ChatMessage]?
    /// The person's answer.
    package var completion: String
    /// Where it was written.
    package var origin: DemonstrationOrigin
    /// Who wrote it.
    package var annotator: String
}
