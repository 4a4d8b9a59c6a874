// Policy optimisation against the reward model (one run per seed, the population judge watching
// every rollout without training anything), and the evaluation that decides whether it worked.
import Annotators
import Corpora
import Evaluation
import Foundation
import LanguageModeling
import PolicyOptimization
import RewardModeling
import TrainingRuns
import Transformer

/// One PPO run of the demo.
public struct PolicyRun {
    public let seed: UInt64
    public let run: RunFolder
    public let model: LanguageModel
}

/// What the demo measured, written to evaluation.json and shown in the report.
public struct DemoOutcome: Codable, Sendable {
    public struct SeedResult: Codable, Sendable {
        public var seed: UInt64
        public var comparison: PolicyComparison
        public var winRate: Double
        public var winRateInterval: [Double]
        public var perplexityRatio: Double
        public var passed: Bool
        /// The same samples by the critics' judge (nil without SmolLM2 in the data folder).
        public var criticComparison: PolicyComparison?
        public var criticWinRateInterval: [Double]?
    }

    /// Goals: PPO beats SFT on at least this share of held-out prompts by the population judge...
    public static let requiredWinRate = 0.8
    /// ...at a KL to the reference of at most this many nats per response (an unmeasured KL, of
    /// greedy samples, does not meet it)...
    public static let maximumKL = 6.0
    /// ...with samples at most this much less likely under the reference than SFT's.
    public static let maximumPerplexityRatio = 1.5

    /// Held-out prompts with the SFT and first PPO policy's answers and their judge scores.
    public struct Example: Codable, Sendable {
        public var prompt: String
        public var supervised: String
        public var supervisedScore: Double
        public var optimized: String
        public var optimizedScore: Double
    }

    /// SFT's best of N samples by the reward model against SFT's single sample, on the first
    /// `prompts` held-out prompts; its KL is the analytic upper bound log N − (N−1)/N.
    public struct BestOfNResult: Codable, Sendable {
        public var candidates: Int
        public var comparison: PolicyComparison
        public var winRateInterval: [Double]
        public var perplexityRatio: Double
        /// The same choices by the critics' judge (nil without SmolLM2 in the data folder).
        public var criticComparison: PolicyComparison?
        /// n = 1, 2, 4, … up to `candidates`, chosen by the reward model and by the population judge.
        public var ladder: [BestOfNSelectionPoint]
    }

    public var seeds: [SeedResult]
    public var bestOfN: BestOfNResult
    public var heldOutPrompts: Int
    public var examples: [Example]
    /// Held-out pairwise accuracy of the reward model on the annotators' rankings.
    public var rewardModelAccuracy: Double?
    /// The critics' judge's ROC AUC on held-out movies' snippets, and how many it was measured on.
    public var criticAUC: Double?
    public var criticEvaluationSnippets: Int?

    public var passed: Bool { seeds.allSatisfy(\.passed) }
}

extension DemoPipeline {
    func encodedPrompts(_ snippets: [ReviewSnippet], count: Int, seed: UInt64, model: LanguageModel) -> [[Int32]] {
        ReviewData.prompts(from: snippets, openingWords: configuration.openingWords, count: count, seed: seed).map(model.encode)
    }

    func populationJudge(for model: LanguageModel) throws -> JudgeScorer {
        JudgeScorer(judge: HiddenJudge.population(try RaterLexicon(contentsOf: lexiconURL)), model: model)
    }

    /// One PPO run per seed from the SFT policy, the value network starting from the reward model.
    func optimizePolicies(_ data: ReviewData, scorer: any ResponseScorer, valueInitialization: RewardModel) throws -> [PolicyRun] {
        let sftFolder = RunFolder(url("sft")).modelURL
        return try configuration.ppoSeeds.map { seed in
            let run = RunFolder(url("ppo-seed\(seed)"))
            if let done = try? LanguageModel.load(from: run.modelURL) { return PolicyRun(seed: seed, run: run, model: done) }
            let policy = try LanguageModel.load(from: sftFolder)
            let value = try ValueFunction.network(startingFrom: valueInitialization)
            var ppo = configuration.ppo
            ppo.seed = seed
            let trainer = try PPOTrainer(
                models: PolicyModels(policy: policy, value: value, temperature: ppo.temperature), scorer: scorer,
                prompts: encodedPrompts(data.training, count: 4 * ppo.batchSize * ppo.iterations, seed: seed &+ 100, model: policy),
                configuration: ppo, run: run, monitor: try populationJudge(for: policy))
            try trainer.resumeFromLatestCheckpoint()
            try trainer.train { events(.policy(run: "seed \(seed)", $0)) }
            return PolicyRun(seed: seed, run: run, model: policy)
        }
    }

    /// Each PPO policy against SFT on held-out prompts (movies never trained on), judged by the
    /// population judge that no model ever saw and, when SmolLM2 is in the data folder, by the
    /// critics' judge; SmolLM2's perplexity of each side's samples stands for their fluency.
    func evaluate(_ data: ReviewData, supervised: LanguageModel, policies: [PolicyRun], scorer: any ResponseScorer, rewardAccuracy: Double?) throws -> DemoOutcome {
        let heldOut = data.heldOutPrompts(openingWords: configuration.openingWords, count: configuration.evaluationPrompts, seed: configuration.seed &+ 3)
        let prompts = heldOut.texts.map(supervised.encode), films = heldOut.films
        let sampling = configuration.ppo.sampling
        let judge = try populationJudge(for: supervised)
        let strongURL = dataFolder.appendingPathComponent("models/SmolLM2-135M-Instruct.Q4_1.gguf")
        let strong = FileManager.default.fileExists(atPath: strongURL.path) ? try LanguageModel.load(from: strongURL, trainable: false) : nil
        let fluency = strong.map { FluencyScorer(model: $0) }
        let critic = try strong.map {
            try CriticJudge.trainOrLoad(
                in: RunFolder(url("critic")), data: data, backbone: $0, snippets: configuration.criticSnippets,
                evaluationSnippets: configuration.criticEvaluationSnippets, configuration: configuration.critic, seed: configuration.seed, events: events)
        }
        let measuredFluency: PolicyEvaluator.Fluency = try fluency.map { .scorer($0, prompts: try prompts.map(supervised.decode)) } ?? .none
        let batchSize = 64
        // The policies draw from another generator than SFT's (one seed for all of them, since no
        // two policies are compared): the same draws would couple a prompt's two answers, and the
        // win rate asks about independent ones.
        let measure = { (model: LanguageModel, seed: UInt64) in
            try PolicyEvaluator.Measured(
                model, reference: supervised.network, prompts: prompts,
                samples: PolicyEvaluator.sample(model, prompts: prompts, sampling: sampling, seed: seed, batchSize: batchSize),
                temperature: sampling.temperature, batchSize: batchSize, fluency: measuredFluency)
        }
        // The critics read whole snippets, so the judge reads the opening words with the answer.
        let judges = Judges(population: judge, critic: critic.map { CriticJudge.snippetScorer($0.model, for: supervised) })
        let criticScores = { (side: PolicyEvaluator.Measured) in
            try judges.critic.map { try $0.scores(prompts: side.prompts, responses: side.samples) }
        }
        let baseline = try measure(supervised, configuration.seed &+ 17)
        let baselineScores = (population: try judge.scores(prompts: baseline.prompts, responses: baseline.samples), critic: try criticScores(baseline))
        var examples: [DemoOutcome.Example] = []
        let results = try policies.map { policy -> DemoOutcome.SeedResult in
            let side = try measure(policy.model, configuration.seed &+ 19)
            let comparison = try PolicyComparison(
                policy: side, policyScores: judge.scores(prompts: side.prompts, responses: side.samples), baseline: baseline,
                baselineScores: baselineScores.population, groups: films)
            if examples.isEmpty {
                examples = try self.examples(prompts: prompts, optimized: side.samples, baseline: baseline.samples, model: supervised, judge: judge)
            }
            var criticComparison: PolicyComparison?
            if let scores = try criticScores(side), let baselineCritic = baselineScores.critic {
                criticComparison = try PolicyComparison(policy: side, policyScores: scores, baseline: baseline, baselineScores: baselineCritic, groups: films)
            }
            let ratio = comparison.policy.referencePerplexity / comparison.baseline.referencePerplexity
            let interval = comparison.winRateInterval
            return DemoOutcome.SeedResult(
                seed: policy.seed, comparison: comparison, winRate: comparison.winRate,
                winRateInterval: interval.bounds, perplexityRatio: ratio,
                passed: comparison.winRate >= DemoOutcome.requiredWinRate && (comparison.policy.klToReference.map { $0 <= DemoOutcome.maximumKL } ?? false)
                    && ratio <= DemoOutcome.maximumPerplexityRatio,
                criticComparison: criticComparison, criticWinRateInterval: criticComparison?.winRateInterval.bounds)
        }
        let bestOfN = try evaluateBestOfN(
            prompts: Array(prompts.prefix(configuration.bestOfNPrompts)), films: Array(films.prefix(configuration.bestOfNPrompts)),
            baseline: baseline, baselineScores: baselineScores, supervised: supervised, scorer: scorer, judges: judges, sampling: sampling, fluency: fluency)
        let outcome = DemoOutcome(
            seeds: results, bestOfN: bestOfN, heldOutPrompts: prompts.count, examples: examples, rewardModelAccuracy: rewardAccuracy,
            criticAUC: critic?.summary.auc, criticEvaluationSnippets: critic?.summary.evaluationSnippets)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(outcome).write(to: url("evaluation.json"), options: .atomic)
        return outcome
    }
}

extension DemoPipeline {
    /// The first dozen held-out prompts with both policies' answers, decoded and judged.
    func examples(prompts: [[Int32]], optimized: [[Int32]], baseline: [[Int32]], model: LanguageModel, judge: JudgeScorer) throws -> [DemoOutcome.Example] {
        let count = min(12, prompts.count)
        let head = Array(prompts.prefix(count))
        let optimizedScores = try judge.scores(prompts: head, responses: Array(optimized.prefix(count)))
        let baselineScores = try judge.scores(prompts: head, responses: Array(baseline.prefix(count)))
        let text = { (ids: [Int32]) in try model.decode(ids.filter { $0 != model.endOfText }) }
        return try (0..<count).map { i in
            DemoOutcome.Example(
                prompt: try text(prompts[i]), supervised: try text(baseline[i]), supervisedScore: baselineScores[i],
                optimized: try text(optimized[i]), optimizedScore: optimizedScores[i])
        }
    }
}
