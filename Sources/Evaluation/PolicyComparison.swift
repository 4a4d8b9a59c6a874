// How a trained policy compares with a baseline on held-out prompts: the win rate by a judge
// (with a Wilson confidence interval) and the same win rate controlled for length (a judge that
// rewards length alone gets ½), the KL of each policy to the reference on its own samples, the
// reference model's perplexity of those samples, an independent model's perplexity of them
// (fluency that the policy cannot have drifted towards), and how repetitive they are. Shrinking
// answers that repeat stock praise can win by a judge; they cannot hide in these columns.
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
        /// Mean tokens per response (the stop token included when generated).
        public var meanLength: Double
        /// Word-level repetition of the decoded samples (nil in comparisons written before it was measured).
        public var repetition: RepetitionStatistics?
        /// The fluency model's perplexity of the samples given their prompts, when one was given.
        public var fluency: PerplexityReport?
    }

    public var prompts: Int
    public var wins: Int
    public var ties: Int
    public var losses: Int
    public var policy: Side
    public var baseline: Side
    /// AlpacaEval 2.0's length-controlled win rate of the policy, with its bootstrap interval, the
    /// lengths in characters of the decoded answers (nil in comparisons written before it was measured).
    public var lengthControlled: LengthControlledWinRate?

    /// Wins plus half the ties, over all prompts.
    public var winRate: Double { (Double(wins) + 0.5 * Double(ties)) / Double(max(prompts, 1)) }

    /// The policy's mean response length over the baseline's (tokens): below 1, answers shrank.
    public var lengthRatio: Double { policy.meanLength / max(baseline.meanLength, .leastNormalMagnitude) }

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
    /// against `reference` and, when given, `fluency`. `judge` scores a (prompt, response) pair of
    /// token ids; the baseline reads the same prompt ids, so both models share a tokenizer.
    public static func compare(
        policy: LanguageModel, baseline: LanguageModel, reference: any CausalLanguageModel, prompts: [[Int32]],
        judge: any ResponseScorer, sampling: SamplingParameters, seed: UInt64, batchSize: Int = 64,
        fluency: FluencyScorer? = nil, lengthControl: LengthControlledWinRate.Settings = LengthControlledWinRate.Settings()
    ) throws -> (comparison: PolicyComparison, policySamples: [[Int32]], baselineSamples: [[Int32]]) {
        let policySamples = try sample(policy, prompts: prompts, sampling: sampling, seed: seed, batchSize: batchSize)
        let baselineSamples = try sample(baseline, prompts: prompts, sampling: sampling, seed: seed, batchSize: batchSize)
        let policyScores = try judge.scores(prompts: prompts, responses: policySamples)
        let baselineScores = try judge.scores(prompts: prompts, responses: baselineSamples)
        let promptTexts = try prompts.map(policy.decode)
        let policyTexts = try decoded(policySamples, by: policy), baselineTexts = try decoded(baselineSamples, by: baseline)
        var policySide = try side(policy, reference, prompts, policySamples, policyScores, sampling.temperature, batchSize)
        var baselineSide = try side(baseline, reference, prompts, baselineSamples, baselineScores, sampling.temperature, batchSize)
        policySide.repetition = RepetitionStatistics(texts: policyTexts)
        baselineSide.repetition = RepetitionStatistics(texts: baselineTexts)
        policySide.fluency = try fluency?.perplexity(prompts: promptTexts, responses: policyTexts)
        baselineSide.fluency = try fluency?.perplexity(prompts: promptTexts, responses: baselineTexts)
        var comparison = PolicyComparison(
            prompts: prompts.count, wins: 0, ties: 0, losses: 0, policy: policySide, baseline: baselineSide, lengthControlled: nil)
        var outcomes: [Double] = []
        for (a, b) in zip(policyScores, baselineScores) {
            if a > b { comparison.wins += 1 } else if a < b { comparison.losses += 1 } else { comparison.ties += 1 }
            outcomes.append(a > b ? 1 : a < b ? 0 : 0.5)
        }
        if !prompts.isEmpty {
            comparison.lengthControlled = try LengthControlledWinRate(
                outcomes: outcomes, policyLengths: policyTexts.map { Double($0.count) },
                baselineLengths: baselineTexts.map { Double($0.count) }, settings: lengthControl)
        }
        return (comparison, policySamples, baselineSamples)
    }

    /// The text of each response without the model's stop tokens.
    private static func decoded(_ responses: [[Int32]], by model: LanguageModel) throws -> [String] {
        let stops = Set(model.stopTokens)
        return try responses.map { try model.decode($0.filter { !stops.contains($0) }) }
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
