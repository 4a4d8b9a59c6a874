// `rlhf reward train`: a reward model from a language model (or a reward model to continue),
// trained on comparisons, evaluated on a held-out set split by prompt, normalised on the
// reference policy's samples of the training prompts, saved in the run folder.
import ArgumentParser
import ConfigFiles
import FeedbackComparisons
import Foundation
import LanguageModeling
import Randomness
import RewardModeling
import TrainingRuns
import Transformer

struct RewardTrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train a reward model on comparisons (JSONL or a feedback store).")

    @Option(help: "The starting model: an SFT or pretrained model folder (a scalar head is added), a reward model to train further, or a GGUF file (SmolLM2): a head on that backbone, kept frozen.")
    var model: String

    @Option(help: "With a GGUF --model: the backbone features' cache file (default: RUN/backbone-features.safetensors); reused across runs.")
    var featureCache: String?

    @OptionGroup var comparisons: ComparisonOptions

    @Option(help: "Held-out comparisons (JSONL); without it, one prompt in heldOutPeriod is held out of the training data.")
    var heldOut: String?

    @Option(help: "The reference policy whose samples the rewards are normalised on (default: --model when it is a language model).")
    var policy: String?

    @OptionGroup var runOptions: RunOptions

    @Option(help: "Passes over the training comparisons (overrides the configuration).")
    var epochs: Int?

    @Option(help: "Train on this many comparisons only, drawn at random (seeded) from the training split.")
    var limit: Int?

    @Option(help: "Seed of data order and of the new head (overrides the configuration).")
    var seed: UInt64?

    func validate() throws {
        if comparisons.isEmpty { throw ValidationError("give comparisons with --data FILE or --db STORE") }
        if let limit, limit <= 0 { throw ValidationError("--limit must be positive, got \(limit)") }
        if runOptions.resume { throw ValidationError("reward runs are short and have no checkpoints: start the run again instead of --resume") }
    }

    func run() async throws {
        var configuration = try runOptions.config.map {
            try ConfigurationFile.load(RewardTrainingConfiguration.self, from: URL(fileURLWithPath: $0), defaults: RewardTrainingConfiguration())
        } ?? RewardTrainingConfiguration()
        if let epochs { configuration.epochs = epochs }
        if let seed { configuration.optimization.seed = seed; configuration.headSeed = seed }
        try configuration.validate()
        let folder = RunFolder(runOptions.folderURL)
        try FileManager.default.createDirectory(at: folder.url, withIntermediateDirectories: true)
        try folder.writeConfiguration(ConfigurationFile.encode(configuration))

        let (training, heldOut) = try await splitData(configuration)
        print("comparisons: \(training.count) for training, \(heldOut.count) held out")
        if model.hasSuffix(".gguf") { return try trainFrozenBackbone(configuration, training: training, heldOut: heldOut, folder: folder) }
        let reward = try startingModel(configuration)
        let samples = try referenceSamples(for: training, configuration: configuration)
        let trainer = try RewardTrainer(model: reward, configuration: configuration, run: folder)
        let start = Date()
        let evaluation = try trainer.train(on: training, heldOut: heldOut, normalizingOn: samples, events: RewardProgressView(title: "reward").handle)
        let seconds = Date().timeIntervalSince(start)
        try finish(folder: folder, training: training, heldOut: heldOut, steps: trainer.completedSteps, seconds: seconds,
                   normalization: (reward.gain, reward.bias), evaluation: evaluation)
    }

    /// A head on a frozen GGUF backbone: the backbone reads each distinct text once (cached),
    /// then the head trains in seconds.
    func trainFrozenBackbone(_ configuration: RewardTrainingConfiguration, training: [Comparison], heldOut: [Comparison], folder: RunFolder) throws {
        let reward = try FrozenBackboneRewardModel(backbone: try LanguageModel.load(from: URL(fileURLWithPath: model), trainable: false))
        let cache = try reward.openFeatureCache(at: featureCache.map { URL(fileURLWithPath: $0) } ?? folder.url.appendingPathComponent("backbone-features.safetensors"))
        let samples = configuration.normalizationSamples > 0 ? try policy.map { try textSamples(of: $0, for: training, configuration: configuration) } : nil
        if samples == nil { print("note: no --policy (or normalizationSamples 0): rewards are normalised on the training responses") }
        let trainer = try FrozenBackboneRewardTrainer(model: reward, configuration: configuration, run: folder)
        let bar = FeatureProgressBar(title: "backbone")
        let start = Date()
        let evaluation = try trainer.train(on: training, heldOut: heldOut, normalizingOn: samples, cache: cache,
                                           featureProgress: bar.update, events: RewardProgressView(title: "head").handle)
        try finish(folder: folder, training: training, heldOut: heldOut, steps: trainer.completedSteps, seconds: Date().timeIntervalSince(start),
                   normalization: (reward.gain, reward.bias), evaluation: evaluation)
    }

    /// The policy's samples on the training prompts, as text.
    func textSamples(of policyFolder: String, for training: [Comparison], configuration: RewardTrainingConfiguration) throws -> [(prompt: String, response: String)] {
        let policy = try LanguageModel.load(from: URL(fileURLWithPath: policyFolder), trainable: false)
        guard let samples = try referenceSamples(from: policy, for: training, configuration: configuration) else { return [] }
        return try zip(samples.prompts, samples.responses).map { prompt, response in
            (try policy.decode(prompt), try policy.decode(response.filter { $0 != policy.endOfText }))
        }
    }

    func finish(
        folder: RunFolder, training: [Comparison], heldOut: [Comparison], steps: Int, seconds: Double,
        normalization: (gain: Float, bias: Float), evaluation: PreferenceEvaluation?
    ) throws {
        var summary: [String: Any] = [
            "training_comparisons": training.count, "held_out_comparisons": heldOut.count, "steps": steps,
            "seconds": seconds, "reward_gain": Double(normalization.gain), "reward_bias": Double(normalization.bias),
        ]
        if let evaluation { summary["held_out"] = try SummaryFile.object(evaluation) }
        try SummaryFile.write(summary, to: folder.url.appendingPathComponent("summary.json"))
        print(String(format: "trained in %.1f s (%d steps)", seconds, steps))
        if let evaluation {
            print(String(format: "held-out accuracy %.4f over %d pairs, mean margin %.3f, ECE %.4f", evaluation.accuracy, evaluation.pairs, evaluation.meanMargin, evaluation.expectedCalibrationError))
        }
        print("reward model in \(folder.modelURL.path)")
    }

    /// Training and held-out comparisons: the held-out file, or a split by prompt; `--limit`
    /// then draws a seeded subset of the training side.
    func splitData(_ configuration: RewardTrainingConfiguration) async throws -> ([Comparison], [Comparison]) {
        let all = try await comparisons.load()
        var (training, heldOut) = try heldOut.map { (all, try ComparisonSource.read(URL(fileURLWithPath: $0))) }
            ?? HeldOutSplit(period: configuration.heldOutPeriod).split(all)
        if let limit {
            var generator = RandomGenerator(seed: configuration.optimization.seed)
            training = generator.permutation(training.count).prefix(limit).map { training[$0] }
        }
        return (training, heldOut)
    }

    /// A new head on a language model, or a reward model to continue training.
    func startingModel(_ configuration: RewardTrainingConfiguration) throws -> RewardModel {
        let base = try LanguageModel.load(from: URL(fileURLWithPath: model), trainable: true)
        return base.gpt?.configuration.hasScalarHead == true ? try RewardModel(base) : try RewardModel(backbone: base, seed: configuration.headSeed)
    }

    /// The reference policy's samples on the training prompts (distinct prompts, shuffled by
    /// the seed, cycled), or nil when no policy is known or normalisation is off.
    func referenceSamples(for training: [Comparison], configuration: RewardTrainingConfiguration) throws -> PolicySamples? {
        guard configuration.normalizationSamples > 0 else { return nil }
        return try referenceSamples(from: try LanguageModel.load(from: URL(fileURLWithPath: self.policy ?? model), trainable: false),
                                    for: training, configuration: configuration)
    }

    func referenceSamples(from policy: LanguageModel, for training: [Comparison], configuration: RewardTrainingConfiguration) throws -> PolicySamples? {
        guard policy.gpt?.configuration.hasScalarHead != true else {
            print("note: --model is a reward model and no --policy was given; rewards are not renormalised")
            return nil
        }
        var generator = RandomGenerator(seed: configuration.optimization.seed)
        let prompts = Array(Set(training.map(\.prompt))).sorted()
        let shuffled = generator.permutation(prompts.count).map { prompts[$0] }
        let parameters = SamplingParameters(temperature: 1, maxNewTokens: configuration.normalizationResponseTokens)
        return try PolicySamples.draw(
            from: policy, prompts: shuffled, count: configuration.normalizationSamples, parameters: parameters, seed: configuration.optimization.seed)
    }
}
