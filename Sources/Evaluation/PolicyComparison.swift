// How a trained policy compares with a baseline on held-out prompts: the win rate by a judge
// (with a Wilson confidence interval), the KL of each policy to the reference on its own samples,
// and the reference model's perplexity of those samples (fluency: has the policy drifted into
// text the reference finds unlikely?).
import Foundation
import LanguageModeling
import Randomness
import RewardModeling
import Tensors
import Transformer

public struct PolicyComparison: Codable, Sendable {
    public struct Side: Codable, Sendable {
        /// Mean judge score of the samples.
        public var meanScore: Double
        /// Mean Σ_t (log π − log π_ref) per response, in nats, at the sampling temperature.
        public var klToReference: Double
        /// exp(mean −log π_ref per sampled token) at temperature 1.
        public var referencePerplexity: Double
        public var meanLength: Double
    }

    public var prompts: Int
    public var wins: Int
    public var ties: Int
    public var losses: Int
    public var policy: Side
    public var baseline: Side

    /// Wins plus half the ties, over all prompts.
    public var winRate: Double { (Double(wins) + 0.5 * Double(ties)) / Double(max(prompts, 1)) }

    /// Wilson score interval of the win rate at z (1.96 for 95%).
    public func winRateInterval(z: Double = 1.96) -> ClosedRange<Double> {
        let n = Double(max(prompts, 1)), p = winRate
        let centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        let half = z / (1 + z * z / n) * (p * (1 - p) / n + z * z / (4 * n * n)).squareRoot()
        return max(0, centre - half)...min(1, centre + half)
    }
}

public enum PolicyEvaluator {
    /// Samples one response per prompt from each model (same seed), judges both, and measures both
    /// against `reference`. `judge` scores a (prompt, response) pair of token ids.
    public static func compare(
        policy: LanguageModel, baseline: LanguageModel, reference: any CausalLanguageModel, prompts: [[Int32]],
        judge: any ResponseScorer, sampling: SamplingParameters, seed: UInt64, batchSize: Int = 64
    ) throws -> (comparison: PolicyComparison, policySamples: [[Int32]], baselineSamples: [[Int32]]) {
        let policySamples = try sample(policy, prompts: prompts, sampling: sampling, seed: seed, batchSize: batchSize)
        let baselineSamples = try sample(baseline, prompts: prompts, sampling: sampling, seed: seed, batchSize: batchSize)
        let policyScores = try judge.scores(prompts: prompts, responses: policySamples)
        let baselineScores = try judge.scores(prompts: prompts, responses: baselineSamples)
        var comparison = PolicyComparison(
            prompts: prompts.count, wins: 0, ties: 0, losses: 0,
            policy: try side(policy, reference, prompts, policySamples, policyScores, sampling.temperature, batchSize),
            baseline: try side(baseline, reference, prompts, baselineSamples, baselineScores, sampling.temperature, batchSize))
        for (a, b) in zip(policyScores, baselineScores) {
            if a > b { comparison.wins += 1 } else if a < b { comparison.losses += 1 } else { comparison.ties += 1 }
        }
        return (comparison, policySamples, baselineSamples)
    }

    /// One response per prompt, in batches; each ends with <|endoftext|> when the model stopped.
    public static func sample(_ model: LanguageModel, prompts: [[Int32]], sampling: SamplingParameters, seed: UInt64, batchSize: Int) throws -> [[Int32]] {
        var generator = RandomGenerator(seed: seed)
        var parameters = sampling
        if let endOfText = model.endOfText { parameters.stopTokens = [endOfText] }
        var out: [[Int32]] = []
        for start in stride(from: 0, to: prompts.count, by: batchSize) {
            let chunk = Array(prompts[start..<min(start + batchSize, prompts.count)])
            out += try model.network.generate(prompts: chunk, parameters: parameters, generator: &generator, padding: model.endOfText ?? 0)
                .map { $0.tokens.isEmpty ? [model.endOfText ?? 0] : $0.tokens }
        }
        return out
    }

    private static func side(
        _ model: LanguageModel, _ reference: any CausalLanguageModel, _ prompts: [[Int32]], _ samples: [[Int32]], _ scores: [Double],
        _ temperature: Float, _ batchSize: Int
    ) throws -> PolicyComparison.Side {
        var kl = 0.0, negativeLog = 0.0, tokens = 0.0
        let padding = model.endOfText ?? 0
        for start in stride(from: 0, to: prompts.count, by: batchSize) {
            let range = start..<min(start + batchSize, prompts.count)
            let batch = try SequenceBatch(prompts: Array(prompts[range]), responses: Array(samples[range]), padding: padding)
            let logP = try model.network.responseLogProbabilities(batch, temperature: max(temperature, 1e-3), tape: nil).scalars
            let logRef = try reference.responseLogProbabilities(batch, temperature: max(temperature, 1e-3), tape: nil).scalars
            let logRefPlain = try reference.responseLogProbabilities(batch, tape: nil).scalars
            for i in batch.responseMask.indices where batch.responseMask[i] != 0 {
                kl += Double(logP[i] - logRef[i])
                negativeLog -= Double(logRefPlain[i])
                tokens += 1
            }
        }
        let n = Double(max(prompts.count, 1))
        return PolicyComparison.Side(
            meanScore: scores.reduce(0, +) / n, klToReference: kl / n,
            referencePerplexity: Foundation.exp(negativeLog / max(tokens, 1)), meanLength: tokens / n)
    }
}
