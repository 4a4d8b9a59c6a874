// Three ways of using the reward model on SmolLM2: PPO training LoRA adapters (a value head on
// the policy, the reference being the base with its adapters off, the reward model reading the
// plain request and the decoded review, the population judge watching), DPO training adapters
// on the annotators' rankings directly, and best-of-N choosing among the starting model's samples.
import Annotators
import AtomicFiles
import Evaluation
import FeedbackComparisons
import Foundation
import LanguageModeling
import PolicyOptimization
import PreferenceOptimization
import Randomness
import RewardModeling
import TrainingRuns
import Transformer

extension SmolLM2DemoPipeline {
    var evaluationSampling: SamplingParameters {
        SamplingParameters(temperature: configuration.samplingTemperature, topK: configuration.samplingTopK, maxNewTokens: configuration.responseLength)
    }

    func populationJudge(for model: LanguageModel) throws -> JudgeScorer {
        JudgeScorer(judge: .population(try RaterLexicon(contentsOf: lexiconURL)), model: model)
    }

    /// A fresh copy of the starting model with adapters, restored from `run` when it finished.
    private func adaptedModel(seed: UInt64, finishedIn run: RunFolder) throws -> (model: LanguageModel, finished: Bool) {
        let model = try loadModel()
        try model.network.attachAdapters(configuration.lora, seed: seed)
        // Checked where restoreTrained reads (AtomicFolder.readable), lest a save killed between
        // the two renames of its swap make a finished run train again.
        let saved = AtomicFolder.readable(run.modelURL)
        guard FileManager.default.fileExists(atPath: saved.appendingPathComponent(LoRAConfiguration.configFileName).path) else { return (model, false) }
        try model.restoreTrained(from: run.modelURL)
        return (model, true)
    }

    func optimizeWithPPO(_ data: ReviewData, reward: RewardModel) throws -> [PolicyRun] {
        try configuration.ppoSeeds.map { seed in
            let run = RunFolder(url("ppo-seed\(seed)"))
            let (policy, finished) = try adaptedModel(seed: seed, finishedIn: run)
            if finished { return PolicyRun(seed: seed, run: run, model: policy) }
            var ppo = configuration.ppo
            ppo.seed = seed
            let prompts = try encodedPrompts(data.training, count: ppo.batchSize * ppo.iterations, seed: seed &+ 100, model: policy)
            let head = ScalarHead(width: policy.network.hiddenSize)
            head.initialize(seed: seed)
            let trainer = try PPOTrainer(
                models: PolicyModels(policy: policy, value: .head(head), temperature: ppo.temperature),
                scorer: reward.readsTokens(of: policy, chatPrompts: true)
                    ? RewardScorer(model: reward) : DecodedResponseScorer(reward: reward, model: policy, batchSize: 32, promptText: prompts.textOfTokens),
                prompts: prompts.tokens, configuration: ppo, run: run, monitor: try populationJudge(for: policy))
            try trainer.resumeFromLatestCheckpoint()
            try trainer.train { events(.policy(run: "seed \(seed)", $0)) }
            return PolicyRun(seed: seed, run: run, model: policy)
        }
    }

    /// DPO on one pair per prompt: the answer the panel ranked best on average over the one it
    /// ranked worst (the clearest preference; every pair of every ranking would share answers
    /// many times over, at many times the cost).
    func optimizeWithDPO() async throws -> LanguageModel {
        let run = RunFolder(url("dpo"))
        let (policy, finished) = try adaptedModel(seed: configuration.seed &+ 50, finishedIn: run)
        if finished { return policy }
        let pairs = PreferencePair.consensusPairs(from: try await ComparisonSource.store(at: url("feedback.sqlite").path))
        let settings = configuration.dpo
        let preferences = try PreferenceData(pairs, model: policy, heldOutPeriod: settings.heldOutPeriod, maximumPromptLength: settings.maximumPromptLength)
        events(.note("DPO on \(preferences.training.count) pairs (\(preferences.heldOut.count) held out), each prompt's best answer over its worst by mean rank"))
        let objective = try DirectPreferenceOptimization(
            data: preferences, settings: settings.dpo, seed: settings.optimization.seed, referenceBatchSize: settings.optimization.batchSize)
        let trainer = try DPOTrainer(model: policy, objective: objective, settings: settings.optimization, run: run)
        _ = try trainer.resumeFromLatestCheckpoint()
        _ = try trainer.train { events(.training(stage: "dpo", $0)) }
        return policy
    }

    /// `bestOfN` samples of the starting model for each of the first `bestOfNPrompts` evaluation
    /// prompts with the reward model's scores, kept in best-of-n.json: best-of-n for every n up to
    /// `bestOfN` chooses among them.
    func sampleBestOfN(_ prompts: ChatPrompts, model: LanguageModel, reward: RewardModel) throws -> BestOfN.Candidates {
        let file = url("best-of-n.json")
        let subset = prompts.prefix(configuration.bestOfNPrompts)
        if let data = try? Data(contentsOf: file), let done = try? JSONDecoder().decode(BestOfN.Candidates.self, from: data),
           done.responses.count == subset.tokens.count, done.scores.allSatisfy({ $0.count == configuration.bestOfN }) {
            return done
        }
        let scorer = DecodedResponseScorer(reward: reward, model: model, batchSize: 32, promptText: subset.textOfTokens)
        let best = try BestOfN(model: model, scorer: scorer, candidates: configuration.bestOfN, sampling: evaluationSampling, batchSize: configuration.generationBatchSize)
        var generator = RandomGenerator(seed: configuration.seed &+ 31)
        let candidates = try best.sample(prompts: subset.tokens, generator: &generator) { [events] in
            events(.reading(what: "best-of-N samples", done: $0, total: $1, unit: "samples"))
        }
        try JSONEncoder().encode(candidates).write(to: file, options: .atomic)
        events(.note("best-of-\(configuration.bestOfN) on \(subset.tokens.count) held-out prompts"))
        return candidates
    }
}
