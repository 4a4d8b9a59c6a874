// Best-of-N in the scratch demo's evaluation: the baseline a trained policy is measured against
// at the same reward model, judged like the PPO policies against the same SFT samples, with the
// ladder of smaller n chosen by the reward model and by the population judge.
import Evaluation
import Foundation
import LanguageModeling
import PolicyOptimization
import Randomness
import RewardModeling
import Transformer

extension DemoPipeline {
    /// The judges of a side: the population judge and, when SmolLM2 is in the data folder, the critics'.
    struct Judges {
        let population: JudgeScorer
        let critic: (any ResponseScorer)?
    }

    /// SFT's best of `bestOfN` samples by `scorer` for each prompt against SFT's own sample of it
    /// (the first `prompts.count` of `baseline`, the PPO rows' baseline, and of its judges' scores);
    /// `films` are the prompts' films, which the interval resamples together.
    func evaluateBestOfN(
        prompts: [[Int32]], films: [String], baseline: PolicyEvaluator.Measured, baselineScores: (population: [Double], critic: [Double]?), supervised: LanguageModel,
        scorer: any ResponseScorer, judges: Judges, sampling: SamplingParameters, fluency: FluencyScorer?
    ) throws -> DemoOutcome.BestOfNResult {
        let n = configuration.bestOfN, batchSize = 64
        var generator = RandomGenerator(seed: configuration.seed &+ 31)
        let candidates = try BestOfN(model: supervised, scorer: scorer, candidates: n, sampling: sampling, batchSize: batchSize)
            .sample(prompts: prompts, generator: &generator)
        let measuredFluency: PolicyEvaluator.Fluency = try fluency.map { .scorer($0, prompts: try prompts.map(supervised.decode)) } ?? .none
        let best = try BestOfNMeasures.side(
            candidates.choices(amongFirst: n), candidates: n, model: supervised, prompts: prompts, temperature: sampling.temperature,
            batchSize: batchSize, fluency: measuredFluency)
        let subsetBaseline = try PolicyEvaluator.Measured(
            supervised, reference: supervised.network, prompts: prompts, samples: Array(baseline.samples.prefix(prompts.count)),
            temperature: sampling.temperature, batchSize: batchSize, fluency: measuredFluency)
        let scores = try CandidateScores(
            judging: candidates, prompts: prompts, population: judges.population, critic: judges.critic,
            baselinePopulation: Array(baselineScores.population.prefix(prompts.count)),
            baselineCritic: baselineScores.critic.map { Array($0.prefix(prompts.count)) }, films: films)
        let chosen = scores.rewardModelChoices(amongFirst: n)
        let comparison = try PolicyComparison(
            policy: best, policyScores: chosen.population, baseline: subsetBaseline, baselineScores: scores.baselinePopulation, groups: films)
        var criticComparison: PolicyComparison?
        if let critic = chosen.critic, let baselineCritic = scores.baselineCritic {
            criticComparison = try PolicyComparison(policy: best, policyScores: critic, baseline: subsetBaseline, baselineScores: baselineCritic, groups: films)
        }
        let interval = comparison.winRateInterval
        events(.note("best-of-\(n) on \(prompts.count) held-out prompts: \(PercentText.of(comparison.winRate)) against SFT by the population judge"))
        return DemoOutcome.BestOfNResult(
            candidates: n, comparison: comparison, winRateInterval: interval.bounds,
            perplexityRatio: comparison.policy.referencePerplexity / max(comparison.baseline.referencePerplexity, .leastNormalMagnitude),
            criticComparison: criticComparison, ladder: try scores.ladder())
    }
}
