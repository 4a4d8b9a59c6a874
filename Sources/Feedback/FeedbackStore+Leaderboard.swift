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
    /// The leaderboard over every judgment so far, or over the judgments of tasks in `batches`;
    /// the bootstrap draws whole tasks from `seed`. With a `cache`, the model ratings are refitted only when
    /// the judgments changed since its last fit.
    package func leaderboard(
        bootstrapRounds: Int = 100, confidence: Double = 0.95, seed: UInt64 = 0, batches: [String]? = nil, cache: ModelLeaderboardCache? = nil
    ) async throws -> FeedbackLeaderboard {
        let comparisons = try await rankedComparisons(batches: batches)
        let units = comparisons.agreementUnits
        let bootstrap = BradleyTerryBootstrap(rounds: bootstrapRounds, confidence: confidence)
        let judgments = comparisons.map(\.battles)
        // A task's judges all read its samples: the bootstrap draws tasks, not judgments.
        let tasks = comparisons.map(\.taskID)
        let models = if let cache {
            await cache.leaderboard(judgments: judgments, clusters: tasks, bootstrap: bootstrap, seed: seed)
        } else {
            ModelLeaderboard(judgments: judgments, clusters: tasks, bootstrap: bootstrap, seed: seed)
        }
        return FeedbackLeaderboard(
            models: models,
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
    /// at least two annotators, valued +1 (the one the task lists first better), −1 (the other)
    /// or 0 (tie), in task order. Nominal alpha depends on which of a pair counts as first, so it
    /// is the task's order, fixed when the task was made, and not the completions' ids. A unit is
    /// keyed by the two completions, not by their places in a judgment: a pairwise verdict on a
    /// task's second and third answers meets a ranking's verdict on that same pair.
    package var agreementUnits: [[Double]] {
        var units: [[Int64]: [Double]] = [:]
        for comparison in self {
            let listed = comparison.completions
            for i in listed.indices {
                for j in listed.indices where j > i {
                    let (a, b) = (listed[i], listed[j])
                    let value: Double = a.tier < b.tier ? 1 : a.tier > b.tier ? -1 : 0
                    units[[comparison.taskID, a.completionID, b.completionID], default: []].append(value)
                }
            }
        }
        return units.keys.sorted { $0.lexicographicallyPrecedes($1) }.map { units[$0]! }.filter { $0.count >= 2 }
    }
}
