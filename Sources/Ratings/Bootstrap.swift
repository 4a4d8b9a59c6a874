// Bootstrap confidence intervals for Bradley-Terry ratings, as the Chatbot Arena leaderboard draws them.

import Randomness

/// A rating with the bounds of its bootstrap confidence interval.
package struct RatingInterval: Codable, Sendable, Equatable {
    /// The fit on all battles.
    package var rating: Double
    /// The lower quantile of the bootstrap ratings.
    package var lower: Double
    /// The upper quantile of the bootstrap ratings.
    package var upper: Double
}

/// Resamples judgments with replacement, refits Bradley-Terry on each resample and reads off
/// quantiles of each model's ratings (numpy's default linear interpolation).
///
/// The unit drawn is a judgment, not a battle: a k-way ranking yields k(k−1)/2 battles that one
/// person decided together, and drawing them one by one would treat them as independent and make
/// the intervals too narrow. A pairwise vote, as in Chatbot Arena, is a judgment of one battle. For
/// the same reason a unit may hold several judgments (every annotator's verdict on one task).
package struct BradleyTerryBootstrap: Sendable {
    /// The fitter run on every resample.
    package var fitter: BradleyTerry
    /// Number of resamples.
    package var rounds: Int
    /// Coverage of the interval, e.g. 0.95 for the 2.5% and 97.5% quantiles.
    package var confidence: Double

    /// Creates a bootstrap; FastChat's leaderboard uses 95% intervals.
    package init(fitter: BradleyTerry = BradleyTerry(), rounds: Int = 100, confidence: Double = 0.95) {
        precondition(rounds > 0 && confidence > 0 && confidence < 1, "bootstrap needs rounds > 0 and 0 < confidence < 1")
        self.fitter = fitter
        self.rounds = rounds
        self.confidence = confidence
    }

    /// `rounds` resamples of `count` judgment indices drawn with replacement by `generator`.
    package func resamples(count: Int, generator: inout RandomGenerator) -> [[Int]] {
        guard count > 0 else { return [] }
        return (0..<rounds).map { _ in (0..<count).map { _ in generator.integer(in: 0..<count) } }
    }

    /// Intervals for pairwise votes, each battle its own judgment, from given resamples (each a list
    /// of indices into `battles`), keyed by model. Taking the indices from outside lets a test replay
    /// a reference implementation's draws.
    package func intervals(for battles: [Battle], resamples: [[Int]]) -> [String: RatingInterval] {
        intervals(for: battles.map { [$0] }, around: fitter.fit(battles), resamples: resamples)
    }

    /// Intervals around an existing fit of every battle in `judgments`, from resamples of indices
    /// into `judgments`; each drawn judgment brings all of its battles.
    package func intervals(for judgments: [[Battle]], around fit: BradleyTerry.Fit, resamples: [[Int]]) -> [String: RatingInterval] {
        let full = fit.ratings
        let allModels = full.keys.sorted()
        let index = Dictionary(uniqueKeysWithValues: allModels.enumerated().map { ($1, $0) })
        var samples: [String: [Double]] = [:]
        for resample in resamples {
            let battles = resample.flatMap { judgments[$0] }
            var tally = BattleTally(models: battles.map(\.modelA) + battles.map(\.modelB))
            let local = Dictionary(uniqueKeysWithValues: tally.models.enumerated().map { ($1, $0) })
            for battle in battles {
                tally.add(battle, a: local[battle.modelA]!, b: local[battle.modelB]!)
            }
            // A model absent from a resample has no rating there; like pandas, skip it rather than guess.
            for (model, rating) in fitter.fit(tally).ratings where index[model] != nil {
                samples[model, default: []].append(rating)
            }
        }
        let tail = (1 - confidence) / 2
        var result: [String: RatingInterval] = [:]
        for model in allModels {
            let values = samples[model, default: []].sorted()
            guard !values.isEmpty else { continue }
            result[model] = RatingInterval(
                rating: full[model]!,
                lower: quantile(sorted: values, tail),
                upper: quantile(sorted: values, 1 - tail)
            )
        }
        return result
    }
}

/// The `q` quantile of ascending `values` by linear interpolation between closest ranks
/// (numpy's and pandas' default).
package func quantile(sorted values: [Double], _ q: Double) -> Double {
    precondition(!values.isEmpty && (0...1).contains(q), "quantile needs values and 0 ≤ q ≤ 1")
    let position = q * Double(values.count - 1)
    let below = Int(position.rounded(.down))
    let above = min(below + 1, values.count - 1)
    let fraction = position - Double(below)
    return values[below] + (values[above] - values[below]) * fraction
}
