// What both demos measure of best-of-n: the chosen answers as one side of a comparison, with
// the analytic KL in place of a measured one, and the over-optimisation ladder (n = 1, 2, 4, …
// from one set of candidates) that puts best-of-n beside PPO on the KL axis.
import Evaluation
import Foundation
import LanguageModeling
import PolicyOptimization
import RewardModeling

/// Best-of-n at one n: its KL to the sampling model and the mean scores of its choices.
public struct BestOfNPoint: Codable, Sendable, Equatable {
    public var candidates: Int
    public var klToReference: Double
    /// The mean reward-model score of the choices (the score they were chosen by).
    public var rewardScore: Double
    /// The mean hidden judge's score of the choices (a judge the choice never saw).
    public var judgeScore: Double
}

enum BestOfNMeasures {
    /// KL(best-of-n ‖ the sampling model) = log n − (n−1)/n (Beirami et al. 2024 show it is an
    /// upper bound; it is exact when no two candidates tie).
    static func analyticKL(candidates: Int) -> Double {
        let n = Double(candidates)
        return Foundation.log(n) - (n - 1) / n
    }

    /// The choices measured against `model`, which sampled them and is the reference: the KL pass
    /// would read 0 for its own samples, so the analytic value replaces it.
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

    /// Best-of-n for n = 1, 2, 4, … up to the candidates drawn, each n choosing among the first n
    /// candidates of the same draw, so the points differ only by n.
    static func ladder(_ candidates: BestOfN.Candidates, prompts: [[Int32]], judge: any ResponseScorer) throws -> [BestOfNPoint] {
        let drawn = candidates.scores.first?.count ?? 0
        let mean = { (values: [Double]) in values.reduce(0, +) / Double(max(values.count, 1)) }
        return try sequence(first: 1) { $0 * 2 }.prefix { $0 <= drawn }.map { n in
            let choices = candidates.choices(amongFirst: n)
            return BestOfNPoint(
                candidates: n, klToReference: analyticKL(candidates: n), rewardScore: mean(choices.map(\.score)),
                judgeScore: mean(try judge.scores(prompts: prompts, responses: choices.map(\.response))))
        }
    }
}
