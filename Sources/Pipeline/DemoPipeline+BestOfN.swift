// Best-of-N in the scratch demo's evaluation: the baseline a trained policy is measured against
// at the same reward model, judged like the PPO policies against the same SFT samples.
import Evaluation
import Foundation
import LanguageModeling
import PolicyOptimization
import Randomness
import RewardModeling
import Transformer

extension DemoPipeline {
    /// SFT's best of `bestOfN` samples by `scorer` for each prompt against SFT's own sample of it
    /// (`baselineSamples`, the PPO rows' baseline), with the ladder of smaller n from the same draw.
    func evaluateBestOfN(
        prompts: [[Int32]], baselineSamples: [[Int32]], supervised: LanguageModel, scorer: any ResponseScorer, judge: JudgeScorer,
        sampling: SamplingParameters, fluency: FluencyScorer?
    ) throws -> DemoOutcome.BestOfNResult {
        let n = configuration.bestOfN, batchSize = 64
        var generator = RandomGenerator(seed: configuration.seed &+ 31)
        let candidates = try BestOfN(model: supervised, scorer: scorer, candidates: n, sampling: sampling, batchSize: batchSize)
            .sample(prompts: prompts, generator: &generator)
        let measuredFluency: PolicyEvaluator.Fluency = try fluency.map { .scorer($0, prompts: try prompts.map(supervised.decode)) } ?? .none
        let best = try BestOfNMeasures.side(
            candidates.choices(amongFirst: n), candidates: n, model: supervised, prompts: prompts, temperature: sampling.temperature,
            batchSize: batchSize, fluency: measuredFluency)
        let baseline = try PolicyEvaluator.Measured(
            supervised, reference: supervised.network, prompts: prompts, samples: Array(baselineSamples.prefix(prompts.count)),
            temperature: sampling.temperature, batchSize: batchSize, fluency: measuredFluency)
        let comparison = try PolicyComparison(policy: best, baseline: baseline, judge: judge)
        let interval = comparison.winRateInterval()
        events(.note("best-of-\(n) on \(prompts.count) held-out prompts: \(PercentText.of(comparison.winRate)) against SFT by the population judge"))
        return DemoOutcome.BestOfNResult(
            candidates: n, comparison: comparison, winRateInterval: [interval.lowerBound, interval.upperBound],
            perplexityRatio: comparison.policy.referencePerplexity / max(comparison.baseline.referencePerplexity, .leastNormalMagnitude),
            ladder: try BestOfNMeasures.ladder(candidates, prompts: prompts, judge: judge))
    }
}
