// A comparison assembled from samples already drawn: what each side's answers measure on their
// own (KL, reference perplexity, length, repetition, fluency) is computed once per side, and any
// number of judges then decide the wins. So one baseline serves every method it is compared
// with, answers that no single model sampled (best-of-N's choices) can be compared, and a second
// judge costs only its scores.
import Foundation
import LanguageModeling
import RewardModeling
import Transformer

extension PolicyEvaluator {
    /// Whose perplexity of a side's answers stands for their fluency.
    public enum Fluency {
        case none
        /// The reference's own, from the pass that measures the KL: for when the fluency model
        /// is the reference, whose second reading of the same answers would only repeat it.
        case reference
        /// `scorer`'s, reading `prompts` as the prompts' text.
        case scorer(FluencyScorer, prompts: [String])
    }

    /// One side's samples with everything about them that no judge decides.
    public struct Measured {
        public var prompts: [[Int32]]
        public var samples: [[Int32]]
        /// The decoded answers without stop tokens.
        public var texts: [String]
        /// Every field but `meanScore`, which each judge fills.
        public var side: PolicyComparison.Side

        /// Measures `samples` of `model` against `reference` (when they are the same network, the
        /// KL is 0 and the policy's pass is skipped) and their `fluency`. Samples drawn greedily
        /// (temperature 0) have no KL: both models are point masses there, so it is 0 or infinite.
        /// `progress` hears how many samples the reference has read.
        public init(
            _ model: LanguageModel, reference: any CausalLanguageModel, prompts: [[Int32]], samples: [[Int32]], temperature: Float,
            batchSize: Int, fluency: Fluency, progress: (Int) -> Void = { _ in }
        ) throws {
            guard temperature >= 0, temperature.isFinite else { throw EvaluationError.invalidTemperature(temperature) }
            self.prompts = prompts
            self.samples = samples
            let stops = Set(model.stopTokens)
            texts = try samples.map { try model.decode($0.filter { !stops.contains($0) }) }
            var kl = 0.0, negativeLog = 0.0, tokens = 0.0
            let padding = model.endOfText ?? 0, sampled = temperature > 0
            for start in stride(from: 0, to: prompts.count, by: batchSize) {
                let range = start..<min(start + batchSize, prompts.count)
                defer { progress(range.upperBound) }
                let batch = try SequenceBatch(prompts: Array(prompts[range]), responses: Array(samples[range]), padding: padding)
                // One reference pass gives both its sampling-temperature and its plain log-probabilities.
                let referenceLogits = try reference.logits(reference.responseStates(batch, tape: nil), tape: nil)
                let logRefPlain = try referenceLogits.tokenLogProbabilities(of: batch.responseTargets, temperature: 1).scalars
                for i in batch.responseMask.indices where batch.responseMask[i] != 0 {
                    negativeLog -= Double(logRefPlain[i])
                    tokens += 1
                }
                guard sampled else { continue }
                let logRef = try referenceLogits.tokenLogProbabilities(of: batch.responseTargets, temperature: temperature).scalars
                let logP = model.network === reference ? logRef : try model.network.responseLogProbabilities(batch, temperature: temperature, tape: nil).scalars
                for i in batch.responseMask.indices where batch.responseMask[i] != 0 {
                    kl += Double(logP[i] - logRef[i])
                }
            }
            let n = Double(max(prompts.count, 1))
            let referenceReading = FluencyReport(
                responses: texts.count, emptyResponses: texts.filter(\.isEmpty).count, tokens: Int(tokens), negativeLogLikelihood: negativeLog)
            let fluent: FluencyReport? = switch fluency {
            case .none: nil
            case .reference: referenceReading
            case .scorer(let scorer, let prompts): try scorer.perplexity(prompts: prompts, responses: texts)
            }
            side = PolicyComparison.Side(
                meanScore: 0, klToReference: sampled ? kl / n : nil, referencePerplexity: Foundation.exp(negativeLog / max(tokens, 1)),
                meanLength: tokens / n, repetition: RepetitionStatistics(texts: texts), fluency: fluent)
        }
    }
}

extension PolicyComparison {
    /// The comparison of two measured sides by `judge`, which reads the policy side's prompts.
    public init(
        policy: PolicyEvaluator.Measured, baseline: PolicyEvaluator.Measured, judge: any ResponseScorer, groups: [String]? = nil,
        lengthControl: LengthControlledWinRate.Settings = LengthControlledWinRate.Settings()
    ) throws {
        try self.init(
            policy: policy, policyScores: judge.scores(prompts: policy.prompts, responses: policy.samples),
            baseline: baseline, baselineScores: judge.scores(prompts: baseline.prompts, responses: baseline.samples), groups: groups,
            lengthControl: lengthControl)
    }

    /// The comparison of two measured sides given a judge's scores of each side's samples
    /// (prompt by prompt): ties where the scores are equal, the length-controlled win rate on the
    /// decoded answers' lengths in characters, and with `groups` (each prompt's group, such as
    /// the film it asks about) the win rate's interval from resampling whole groups.
    public init(
        policy: PolicyEvaluator.Measured, policyScores: [Double], baseline: PolicyEvaluator.Measured, baselineScores: [Double],
        groups: [String]? = nil, lengthControl: LengthControlledWinRate.Settings = LengthControlledWinRate.Settings()
    ) throws {
        guard policy.samples.count == baseline.samples.count, policyScores.count == policy.samples.count, baselineScores.count == baseline.samples.count else {
            throw EvaluationError.mismatchedSides(policy: policy.samples.count, baseline: baseline.samples.count, scores: policyScores.count, baselineScores: baselineScores.count)
        }
        let n = Double(max(policyScores.count, 1))
        var policySide = policy.side, baselineSide = baseline.side
        policySide.meanScore = policyScores.reduce(0, +) / n
        baselineSide.meanScore = baselineScores.reduce(0, +) / n
        self.init(prompts: policyScores.count, wins: 0, ties: 0, losses: 0, policy: policySide, baseline: baselineSide, lengthControlled: nil)
        lengthMatchedRepetition = LengthMatchedRepetition(policyTexts: policy.texts, baselineTexts: baseline.texts)
        let outcomes = WinCount.outcomes(policyScores, against: baselineScores), count = WinCount(outcomes: outcomes)
        (wins, ties, losses) = (count.wins, count.ties, count.losses)
        if !outcomes.isEmpty {
            if let groups { groupedInterval = try GroupedWinRateInterval.ifSpread(outcomes: outcomes, groups: groups) }
            lengthControlled = try LengthControlledWinRate(
                outcomes: outcomes, policyLengths: policy.texts.map { Double($0.count) }, baselineLengths: baseline.texts.map { Double($0.count) },
                groups: groups, settings: lengthControl)
        }
    }
}

public enum EvaluationError: Error, Equatable, CustomStringConvertible {
    case mismatchedSides(policy: Int, baseline: Int, scores: Int, baselineScores: Int)
    case invalidTemperature(Float)

    public var description: String {
        switch self {
        case let .mismatchedSides(policy, baseline, scores, baselineScores):
            return "a comparison needs as many samples and scores on each side: \(policy) policy samples with \(scores) scores, \(baseline) baseline samples with \(baselineScores) scores"
        case let .invalidTemperature(temperature):
            return "samples are measured at their sampling temperature, a finite value ≥ 0 (0 is greedy), got \(temperature)"
        }
    }
}
