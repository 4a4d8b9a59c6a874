// `rlhf ppo`: optimise a policy against a reward model with PPO (or A2C), leashed by a KL
// penalty to its starting weights.
import Annotators
import ArgumentParser
import ConfigFiles
import Evaluation
import Finetuning
import Foundation
import LanguageModelData
import LanguageModeling
import PolicyOptimization
import Reporting
import RewardModeling
import TrainingRuns
import Transformer

struct PPOCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ppo", abstract: "RLHF policy optimisation (PPO or A2C) of a model folder against a reward model.")

    @Option(help: "The policy to optimise (usually the SFT model); it is also the frozen reference.")
    var policy: String

    @Option(help: "The reward model folder (rlhf reward train).")
    var rewardModel: String

    @Option(help: "The value network's starting weights (default: the reward model).")
    var valueModel: String?

    @Option(help: "Training prompts: one per line, or JSONL with a \"prompt\" field.")
    var prompts: String

    @OptionGroup var runOptions: RunOptions

    @Option(help: "Iterations (overrides the configuration).")
    var iterations: Int?

    @Option(help: "VADER's lexicon: the population judge is logged beside the reward (eval/judge_score); none when absent.")
    var lexicon = "data/reward/vader_lexicon.txt"

    @Option(name: .customLong("pretraining-text"), help: "Text files or folders for PPO-ptx (with pretrainingCoefficient > 0).")
    var pretrainingText: [String] = []

    func run() throws {
        var configuration = try runOptions.config.map {
            try ConfigurationFile.load(PPOConfiguration.self, from: URL(fileURLWithPath: $0), defaults: PPOConfiguration())
        } ?? PPOConfiguration()
        if let iterations { configuration.iterations = iterations }
        try configuration.validate()
        let folder = RunFolder(runOptions.folderURL)
        try folder.prepare()
        try folder.writeConfiguration(ConfigurationFile.encode(configuration))

        let model = try LanguageModel.load(from: URL(fileURLWithPath: policy))
        let reward = try RewardModel.load(from: URL(fileURLWithPath: rewardModel))
        // Copying the reward model is only worth it when the value function is a network of its own.
        let value = configuration.valueModel == .separate
            ? try valueModel.map { try GPT.load(from: URL(fileURLWithPath: $0)) } ?? reward.network.copy()
            : nil
        let monitor = FileManager.default.fileExists(atPath: lexicon)
            ? JudgeScorer(judge: HiddenJudge.population(try RaterLexicon(contentsOf: URL(fileURLWithPath: lexicon))), model: model) : nil
        let trainer = try PPOTrainer(
            models: PolicyModels(policy: model, value: value, temperature: configuration.temperature),
            scorer: RewardScorer(model: reward), prompts: PromptFile.read(prompts).map(model.encode),
            configuration: configuration, run: folder, pretraining: try pretraining(model, folder), monitor: monitor)
        if runOptions.resume, try trainer.resumeFromLatestCheckpoint() == nil { print("no checkpoint to resume from; starting at iteration 0") }
        var bar: ProgressBar?
        try trainer.train { event in
            if case let .started(first, iterations) = event {
                bar = ProgressBar(title: "ppo", total: iterations, unit: "it", initial: first)
            } else if case let .iterated(report) = event {
                let m = report.metrics
                bar?.update(report.iteration, detail: String(format: "score %.3f kl %.2f β %.3f", m["objective/scores"] ?? 0, m["objective/kl"] ?? 0, m["objective/kl_coef"] ?? 0))
            }
        }
        bar?.finish()
        print("policy in \(folder.modelURL.path); metrics in \(folder.metricsURL.path)")
    }

    /// Pretraining windows for PPO-ptx, tokenized once into the run folder.
    private func pretraining(_ model: LanguageModel, _ folder: RunFolder) throws -> PretrainingData? {
        guard !pretrainingText.isEmpty else { return nil }
        let streams = try Recipes.tokenStreams(corpus: pretrainingText.map { URL(fileURLWithPath: $0) }, tokenizer: model.tokenizer, run: folder, heldOutPeriod: 20)
        return try PretrainingData(training: streams.training, heldOut: streams.heldOut, window: model.network.contextLength, seed: 0)
    }
}
