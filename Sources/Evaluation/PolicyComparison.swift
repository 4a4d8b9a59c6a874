// How a trained policy compares with a baseline on held-out prompts: the win rate by a judge
// (with a Wilson confidence interval, or a cluster bootstrap's when prompts come in groups) and
// the same win rate controlled for length (a judge that rewards length alone gets ½), the KL of
// each policy to the reference on its own samples, the reference model's perplexity of those
// samples, an independent model's perplexity of them (fluency that the policy cannot have drifted
// towards), and how repetitive they are. Shrinking answers that repeat stock praise can win by a
// judge; they cannot hide in these columns.
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
        /// Mean Σ_t (log π − log π_ref) per response, in nats, at the sampling temperature; nil
        /// for greedy samples (temperature 0), whose KL is 0 or infinite.
        public var klToReference: Double?
        /// exp(mean −log π_ref per sampled token) at temperature 1.
        public var referencePerplexity: Double
        /// Mean tokens per response (the stop token included when generated).
        public var meanLength: Double
        /// Word-level repetition of the decoded samples (nil in comparisons written before it was measured).
        public var repetition: RepetitionStatistics?
        /// The fluency model's perplexity of the samples given their prompts, when one was given.
        public var fluency: FluencyReport?
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
    /// Both sides' repetition with each prompt's two answers cut to the shorter one's words, which
    /// the length of the answers cannot flatter (nil in comparisons written before it was measured).
    public var lengthMatchedRepetition: LengthMatchedRepetition? = nil
    /// The win rate's interval from resampling whole groups of prompts, when the prompts came in
    /// groups (several about one film); nil for independent prompts and older comparisons.
    public var groupedInterval: GroupedWinRateInterval? = nil

    /// Wins plus half the ties, over all prompts.
    public var winRate: Double { record.winRate }

    /// The policy's mean response length over the baseline's (tokens): below 1, answers shrank.
    public var lengthRatio: Double { policy.meanLength / max(baseline.meanLength, .leastNormalMagnitude) }

    /// The win rate's 95% interval: the grouped bootstrap's when the prompts came in groups, whose
    /// prompts are not independent evidence, else Wilson's.
    public var winRateInterval: ClosedRange<Double> { groupedInterval?.range ?? record.interval() }

    /// The prompts won, tied and lost.
    public var record: WinCount { WinCount(wins: wins, ties: ties, losses: losses) }
}

/// How far `PolicyEvaluator.compare` has got, in answers: both sides' are sampled, then read.
public struct ComparisonProgress: Sendable, Equatable {
    public enum Stage: String, Sendable {
        case samplingPolicy = "sampling the model"
        case samplingBaseline = "sampling the baseline"
        case measuring = "reading both with the reference"
    }

    public var stage: Stage
    public var completed: Int
    public var total: Int
}

public enum PolicyEvaluator {
    /// Samples one response per prompt from each model, judges both, and measures both against
    /// `reference` and, when given, `fluency`. `judge` scores a (prompt, response) pair of token
    /// ids; the baseline reads the same prompt ids, so both models share a tokenizer.
    ///
    /// The baseline draws from `seed + 1`: from the policy's generator, a prompt's two answers
    /// would be coupled (the same uniform picks each token of both), and the win rate asks about
    /// independent answers. `groups`, one per prompt, keeps prompts that are not independent
    /// evidence (several about one film) together in the win rate's interval. `progress` hears
    /// the work done of the whole: each side's answers sampled, then read by the reference.
    public static func compare(
        policy: LanguageModel, baseline: LanguageModel, reference: any CausalLanguageModel, prompts: [[Int32]],
        judge: any ResponseScorer, sampling: SamplingParameters, seed: UInt64, batchSize: Int = 64,
        fluency: FluencyScorer? = nil, groups: [String]? = nil, lengthControl: LengthControlledWinRate.Settings = LengthControlledWinRate.Settings(),
        progress: (ComparisonProgress) -> Void = { _ in }
    ) throws -> (comparison: PolicyComparison, policySamples: [[Int32]], baselineSamples: [[Int32]]) {
        let n = prompts.count
        func report(_ stage: ComparisonProgress.Stage, _ offset: Int, _ done: Int) {
            progress(ComparisonProgress(stage: stage, completed: offset + done, total: 4 * n))
        }
        let policySamples = try sample(policy, prompts: prompts, sampling: sampling, seed: seed, batchSize: batchSize) { report(.samplingPolicy, 0, $0) }
        let baselineSamples = try sample(baseline, prompts: prompts, sampling: sampling, seed: seed &+ 1, batchSize: batchSize) {
            report(.samplingBaseline, n, $0)
        }
        let fluency: Fluency = try fluency.map { .scorer($0, prompts: try prompts.map(policy.decode)) } ?? .none
        func measure(_ model: LanguageModel, _ samples: [[Int32]], _ offset: Int) throws -> Measured {
            try Measured(
                model, reference: reference, prompts: prompts, samples: samples, temperature: sampling.temperature, batchSize: batchSize,
                fluency: fluency) { report(.measuring, offset, $0) }
        }
        let comparison = try PolicyComparison(
            policy: measure(policy, policySamples, 2 * n), baseline: measure(baseline, baselineSamples, 3 * n), judge: judge, groups: groups,
            lengthControl: lengthControl)
        return (comparison, policySamples, baselineSamples)
    }

    /// One response per prompt, in batches; each ends with <|endoftext|> when the model stopped.
    public static func sample(
        _ model: LanguageModel, prompts: [[Int32]], sampling: SamplingParameters, seed: UInt64, batchSize: Int, progress: (Int) -> Void = { _ in }
    ) throws -> [[Int32]] {
        var generator = RandomGenerator(seed: seed)
        var parameters = sampling
        if let endOfText = model.endOfText { parameters.stopTokens = [endOfText] }
        var out: [[Int32]] = []
        for start in stride(from: 0, to: prompts.count, by: batchSize) {
            let chunk = Array(prompts[start..<min(start + batchSize, prompts.count)])
            out += try model.network.generate(prompts: chunk, parameters: parameters, generator: &generator, padding: model.endOfText ?? 0)
                .map { $0.tokens.isEmpty ? [model.endOfText ?? 0] : $0.tokens }
            progress(out.count)
        }
        return out
    }
}
