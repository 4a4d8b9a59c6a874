// `rlhf ppo`: optimise a policy against a reward model with PPO (or A2C), leashed by a KL
// penalty to its starting weights.
import Annotators
import ArgumentParser
import DataParallel
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

    @OptionGroup(title: "The policy to optimise (usually the SFT model); its starting weights are the frozen reference, or with adapters the base without them")
    var model: ModelOptions

    @OptionGroup var lora: LoRAOptions

    @OptionGroup var reward: RewardModelOptions

    @Option(help: "The separate value network's starting weights, a GPT-2 reward-model folder (default: the reward model).")
    var valueModel: String?

    @Flag(help: "Chat prompts: wrap each prompt in the policy's chat template; the reward model reads the plain prompt.")
    var chat = false

    @Option(help: "Training prompts: one per line, or JSONL with a \"prompt\" field.")
    var prompts: String

    @OptionGroup var runOptions: RunOptions

    @Option(help: "Iterations (overrides the configuration's iterations, \(PPOConfiguration().iterations) by default).")
    var iterations: Int?

    @OptionGroup var lexicon: LexiconOptions

    @Option(name: .customLong("pretraining-text"), help: "Text files or folders for PPO-ptx (with pretrainingCoefficient > 0).")
    var pretrainingText: [String] = []

    func run() throws {
        var configuration = try runOptions.configuration(PPOConfiguration.self)
        if let iterations { configuration.iterations = iterations }
        try configuration.validate()
        let world = try TrainingWorld.join()
        let folder = RunFolder(runOptions.folderURL)

        let policy = try model.load(trainable: lora.loraRank == nil)
        if let adapters = lora.configuration(for: policy.network) {
            guard policy.network.adapters == nil else {
                throw ValidationError("--adapter continues training those adapters; drop the --lora-* options")
            }
            try policy.network.attachAdapters(adapters, seed: configuration.seed)
        } else if policy.network.adapters != nil, world.isRoot {
            print("""
                the policy's adapters are trained further, and the KL reference is their base without them (as TRL's PPO with PEFT); \
                to leash PPO to the adapted model, merge it first (rlhf export --model BASE --adapter DIR --output MERGED) and train fresh adapters on MERGED
                """)
        }
        let encoded = try EncodedPrompts(file: prompts, policy: policy, chat: chat)
        // Refused before the run folder is touched, so a finished run's config.json still
        // describes its model.
        let longest = encoded.tokens.map(\.count).max() ?? 0, context = policy.network.contextLength
        guard longest + configuration.responseLength <= context else {
            throw ValidationError(
                "responseLength \(configuration.responseLength): \(prompts) holds prompts of up to \(longest) tokens, "
                    + "and with the response they exceed the policy's context of \(context)")
        }
        try TrainingWorld.prepare(folder, configuration: configuration, inputs: try inputs(encoded), resuming: runOptions.resume, world: world)
        let monitor = FileManager.default.fileExists(atPath: lexicon.path)
            ? JudgeScorer(judge: HiddenJudge.population(try lexicon.raters()), model: policy) : nil
        if monitor == nil, world.isRoot {
            print("no population judge at \(lexicon.path): eval/judge_score is not logged, so the over-optimisation guard cannot watch it (give --lexicon, or run scripts/fetch-data.sh)")
        }
        let trainer = try PPOTrainer(
            models: PolicyModels(policy: policy, value: try valueFunction(configuration, policy: policy), temperature: configuration.temperature),
            scorer: try reward.scorer(for: policy, plainPrompts: encoded.plainText), prompts: encoded.tokens,
            configuration: configuration, run: folder, pretraining: try pretraining(policy, folder, world: world), monitor: monitor,
            communicator: world)
        if runOptions.resume, try trainer.resumeFromLatestCheckpoint() == nil { print("no checkpoint to resume from; starting at iteration 0") }
        if policy.network.adapters != nil, configuration.valueModel == .separate, world.isRoot {
            print("""
                the value function is a trainable copy of the reward model's network beside the LoRA policy, with its optimizer state in \
                every checkpoint; "valueModel": "policyHead" in --config puts a head on the policy instead (as the SmolLM2 demo does)
                """)
        }
        if trainer.readsRewardInReferencePass, world.isRoot {
            print("the reward model's backbone is the policy's base: one pass with the adapters off reads the reference and the reward")
        }
        var bar: ProgressBar?
        let start = Date()
        try trainer.train { event in
            if case let .started(first, iterations) = event {
                bar = ProgressBar(title: "ppo", total: iterations, unit: "it", initial: first)
            } else if case let .overoptimizing(finding, stopping) = event {
                FileHandle.standardError.write(Data("\r\u{1B}[2K\(stopping ? "stopping" : "warning"): \(finding)\n".utf8))
            } else if case let .iterated(report) = event {
                let m = report.metrics
                bar?.update(report.iteration, detail: String(format: "score %.3f kl %.2f β %.3f", m["objective/scores"] ?? 0, m["objective/kl"] ?? 0, m["objective/kl_coef"] ?? 0))
            }
        }
        bar?.finish()
        try TrainingWorld.finish(world, steps: trainer.completedIterations, seconds: Date().timeIntervalSince(start))
        let saved = policy.network.adapters == nil ? "policy" : "policy adapters (load with --model \(model.model) --adapter DIR)"
        print("\(saved) in \(folder.modelURL.path); metrics in \(folder.metricsURL.path)")
    }

    /// What the run reads besides its configuration. The lexicon is there only when it exists:
    /// it is the monitor the over-optimisation guard watches, and may stop the run.
    private func inputs(_ encoded: EncodedPrompts) throws -> RunInputs {
        var inputs = RunInputs()
        try model.record(in: &inputs)
        lora.record(in: &inputs)
        try inputs.recordModel("--reward-model", reward.rewardModel)
        try inputs.recordModel("--value-model", valueModel)
        inputs.record("--chat", chat ? "true" : nil)
        inputs.recordPath("--prompts", prompts)
        inputs.recordDigest("content of --prompts", sequences: encoded.tokens)
        inputs.recordPaths("--pretraining-text", pretrainingText)
        inputs.recordPath("--lexicon", FileManager.default.fileExists(atPath: lexicon.path) ? lexicon.path : nil)
        return inputs
    }

    /// A separate value network started from a reward model (a trainable copy of its backbone), or a fresh head on the policy.
    private func valueFunction(_ configuration: PPOConfiguration, policy: LanguageModel) throws -> ValueFunction {
        guard configuration.valueModel == .separate else {
            let head = ScalarHead(width: policy.network.hiddenSize)
            head.initialize(seed: configuration.seed)
            return .head(head)
        }
        let source = valueModel.map { URL(fileURLWithPath: $0) } ?? reward.url
        return try ValueFunction.network(startingFrom: RewardModel.load(from: source))
    }

    /// Pretraining windows for PPO-ptx, tokenized once into the run folder (by the root rank).
    private func pretraining(_ model: LanguageModel, _ folder: RunFolder, world: Communicator) throws -> PretrainingData? {
        guard !pretrainingText.isEmpty else { return nil }
        let streams = try TrainingWorld.rootFirst(world) {
            try Recipes.tokenStreams(corpus: pretrainingText.map { URL(fileURLWithPath: $0) }, tokenizer: model.tokenizer, run: folder, heldOutPeriod: 20)
        }
        return try PretrainingData(training: streams.training, heldOut: streams.heldOut, window: model.network.contextLength, seed: 0)
    }
}
