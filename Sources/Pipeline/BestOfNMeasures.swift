// What both demos measure of best-of-n: the chosen answers as one side of a comparison, with
// the analytic bound on its KL in place of a measured KL, and the point of the over-optimisation
// chart that puts best-of-n beside PPO on the KL axis.
import Evaluation
import Foundation
import LanguageModeling
import PolicyOptimization
import RewardModeling

/// Best-of-n at one n: the bound on its KL to the sampling model and the mean scores of its choices.
struct BestOfNPoint: Sendable, Equatable {
    var candidates: Int
    /// `BestOfNMeasures.analyticKL`, an upper bound.
    var klToReference: Double
    /// The mean reward-model score of the choices (the score they were chosen by).
    var rewardScore: Double
    /// The mean hidden judge's score of the choices (a judge the choice never saw).
    var judgeScore: Double
}

enum BestOfNMeasures {
    /// log n − (n−1)/n, an upper bound on KL(best-of-n ‖ the sampling model) (Beirami et al.
    /// 2024, "Theoretical guarantees on the best-of-n alignment policy"): close to the KL only
    /// when every answer is unlikely under the sampling model, and loose where the same answer is
    /// likely to be drawn more than once (short or near-greedy answers), so reports call it a bound.
    static func analyticKL(candidates: Int) -> Double {
        let n = Double(candidates)
        return Foundation.log(n) - (n - 1) / n
    }

    /// The choices measured against `model`, which sampled them and is the reference: the KL pass
    /// would read 0 for its own samples, so the analytic bound replaces it.
    static func side(
        _ choices: [BestOfN.Choice], candidates: Int, model: LanguageModel, prompts: [[Int32]], temperature: Float, batchSize: Int,
        fluency: PolicyEvaluator.Fluency
    ) throws -> PolicyEvaluator.Measured {
        var side = try PolicyEvaluator.Measured(
            model, reference: model.network, prompts: prompts, samples: choices.map(\.response), temperature: temperature,
            batchSize: batchSize, fluency: fluency)
        side.side.klToReference = analyticKL(candidates: candidates)
        return side
    }
}
