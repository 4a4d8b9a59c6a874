// The leaderboard's numbers straight from the store: model ratings, agreement, annotator counts.

import Ratings

/// Everything the leaderboard shows.
package struct FeedbackLeaderboard: Codable, Sendable, Equatable {
    /// Elo and Bradley-Terry ratings of the models behind the completions.
    package var models: ModelLeaderboard
    /// Krippendorff's alpha (nominal) over completion pairs judged by several annotators; nil when
    /// no pair has been judged twice or there is no variation to measure.
    package var agreement: Double?
    /// Number of completion pairs the agreement is computed over.
    package var agreementUnits: Int
    /// Number of judgments.
    package var judgments: Int
    /// What each annotator has done.
    package var annotators: [AnnotatorActivity]
    /// Bootstrap resamples behind the intervals.
    package var bootstrapRounds: Int
    /// Coverage of the intervals.
    package var confidence: Double
}

extension FeedbackStore {
    /// The leaderboard over every judgment so far; the bootstrap draws from `seed`.
    package func leaderboard(bootstrapRounds: Int = 100, confidence: Double = 0.95, seed: UInt64 = 0) async throws -> FeedbackLeaderboard {
        let comparisons = try await rankedComparisons()
        let units = comparisons.agreementUnits
        let bootstrap = BradleyTerryBootstrap(rounds: bootstrapRounds, confidence: confidence)
        return FeedbackLeaderboard(
            models: ModelLeaderboard(battles: comparisons.flatMap(\.battles), bootstrap: bootstrap, seed: seed),
            agreement: KrippendorffAlpha.alpha(units: units, metric: .nominal),
            agreementUnits: units.count,
            judgments: comparisons.count,
            annotators: try await annotatorActivity(),
            bootstrapRounds: bootstrapRounds,
            confidence: confidence)
    }
}

extension [RankedComparison] {
    /// Agreement units for Krippendorff's alpha: one per task and pair of completions judged by
    /// at least two annotators, valued +1 (lower id better), −1 (higher id better) or 0 (tie).
    package var agreementUnits: [[Double]] {
        var units: [String: [Double]] = [:]
        for comparison in self {
            let ranked = comparison.completions.sorted { $0.completionID < $1.completionID }
            for (i, a) in ranked.enumerated() {
                for b in ranked[(i + 1)...] {
                    let value: Double = a.tier < b.tier ? 1 : a.tier > b.tier ? -1 : 0
                    units["\(comparison.taskID):\(a.completionID):\(b.completionID)", default: []].append(value)
                }
            }
        }
        return units.keys.sorted().map { units[$0]! }.filter { $0.count >= 2 }
    }
}
