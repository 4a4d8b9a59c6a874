// Every rating of every model in one table: Elo, Bradley-Terry with its interval, and the record.

import Randomness

/// One model's line on the leaderboard.
package struct ModelStanding: Codable, Sendable, Equatable {
    /// The model's name (checkpoint) as the completions recorded it.
    package var model: String
    /// Online Elo over the battles in the order they were judged.
    package var elo: Double
    /// Bradley-Terry rating with its bootstrap interval.
    package var bradleyTerry: RatingInterval
    /// Battles the model took part in.
    package var battles: Int
    /// Battles it won.
    package var wins: Int
    /// Battles it lost.
    package var losses: Int
    /// Battles that ended in a tie (including "both bad").
    package var ties: Int
}

/// Model ratings computed from a battle log, best Bradley-Terry rating first.
package struct ModelLeaderboard: Codable, Sendable, Equatable {
    /// One line per model, sorted by Bradley-Terry rating, best first.
    package var standings: [ModelStanding]
    /// Number of battles rated.
    package var battleCount: Int
    /// Whether Bradley-Terry needed its fallback penalty (some model never lost or never won).
    package var isRegularized: Bool

    /// Rates pairwise votes, each battle its own judgment, in the order they were made.
    package init(battles: [Battle], bootstrap: BradleyTerryBootstrap = .init(), elo: OnlineElo = .init(), seed: UInt64) {
        self.init(judgments: battles.map { [$0] }, bootstrap: bootstrap, elo: elo, seed: seed)
    }

    /// Rates the battles of `judgments` (in judgment order, which online Elo depends on); the
    /// bootstrap draws from `seed` whole judgments, so a ranking's battles stay together, or with
    /// `clusters` (one key per judgment) whole clusters: annotators who judged the same task read
    /// the same samples, so their verdicts are not independent draws, and resampling them one by
    /// one would make the intervals too narrow.
    package init(
        judgments: [[Battle]], clusters: [Int64]? = nil, bootstrap: BradleyTerryBootstrap = .init(), elo: OnlineElo = .init(), seed: UInt64
    ) {
        var generator = RandomGenerator(seed: seed)
        let battles = judgments.flatMap { $0 }
        let eloRatings = elo.ratings(for: battles)
        let fit = bootstrap.fitter.fit(battles)
        let units = clusters.map { Self.grouping(judgments, by: $0) } ?? judgments
        let intervals = bootstrap.intervals(
            for: units, around: fit, resamples: bootstrap.resamples(count: units.count, generator: &generator))
        var record: [String: (wins: Int, losses: Int, ties: Int)] = [:]
        for battle in battles {
            switch battle.outcome {
            case .winA:
                record[battle.modelA, default: (0, 0, 0)].wins += 1
                record[battle.modelB, default: (0, 0, 0)].losses += 1
            case .winB:
                record[battle.modelB, default: (0, 0, 0)].wins += 1
                record[battle.modelA, default: (0, 0, 0)].losses += 1
            case .tie, .bothBad:
                record[battle.modelA, default: (0, 0, 0)].ties += 1
                record[battle.modelB, default: (0, 0, 0)].ties += 1
            }
        }
        standings = intervals.map { model, interval in
            let line = record[model, default: (0, 0, 0)]
            return ModelStanding(
                model: model, elo: eloRatings[model] ?? elo.initialRating, bradleyTerry: interval,
                battles: line.wins + line.losses + line.ties, wins: line.wins, losses: line.losses, ties: line.ties
            )
        }
        .sorted { ($0.bradleyTerry.rating, $1.model) > ($1.bradleyTerry.rating, $0.model) }
        battleCount = battles.count
        isRegularized = fit.isRegularized
    }

    /// The battles of each cluster's judgments, clusters in order of first appearance.
    static func grouping(_ judgments: [[Battle]], by clusters: [Int64]) -> [[Battle]] {
        precondition(clusters.count == judgments.count, "one cluster key per judgment")
        var position: [Int64: Int] = [:], grouped: [[Battle]] = []
        for (judgment, cluster) in zip(judgments, clusters) {
            if let index = position[cluster] {
                grouped[index] += judgment
            } else {
                position[cluster] = grouped.count
                grouped.append(judgment)
            }
        }
        return grouped
    }
}
