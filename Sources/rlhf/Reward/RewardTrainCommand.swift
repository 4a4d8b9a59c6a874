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

    enum BackboneChoice: String, ExpressibleByArgument, CaseIterable {
        case fineTuned = "fine-tuned", frozen
    }

    @Option(help: "The starting model: a language model (folder or GGUF file) that gets a new scalar head, or a reward-model folder to train further.")
    var model: String

    @Option(help: "fine-tuned: the backbone trains with the head; frozen: only the head trains, on backbone features computed once (default: frozen for a GGUF file, fine-tuned for a folder).")
    var backbone: BackboneChoice?

    @Option(help: "With a frozen backbone: the features' cache file (default: RUN/backbone-features.safetensors); reused across runs.")
    var featureCache: String?

    @Option(help: "Text read after every response, where the head reads the backbone's state (e.g. \"\\nOverall, the review above is\"); kept in the folder's config.json. Ignored when --model is a reward-model folder, which keeps its own.")
    var readout = ""

    @Flag(help: "Read each prompt as a user message in the backbone's chat template, as a chat policy reads it (rlhf ppo --chat then reads a frozen reward model over the policy's own base in its reference pass); kept in config.json.")
    var chatPrompts = false

    @OptionGroup var comparisons: ComparisonOptions

    @Option(help: "Held-out comparisons (JSONL); without it, one prompt in heldOutPeriod is held out of the training data.")
    var heldOut: String?

    @Option(help: "The reference policy whose samples the rewards are normalised on (default: --model when it is a language model folder; without one, the training responses).")
    var policy: String?

    // Reward runs are short and write no checkpoints: a stopped one is started again, so no --resume.
    @OptionGroup var runOptions: RunFolderOptions

    @Option(help: "Passes over the training comparisons (overrides the configuration).")
    var epochs: Int?

    @Option(help: "Train on this many comparisons only, drawn at random (seeded) from the training split.")
    var limit: Int?

    @Option(help: "Seed of data order and of the new head (overrides the configuration).")
    var seed: UInt64?

    func validate() throws {
        if comparisons.isEmpty { throw ValidationError("give comparisons with --data FILE or --db STORE") }
        if let limit, limit <= 0 { throw ValidationError("--limit must be positive, got \(limit)") }
    }

    func run() async throws {
        var configuration = try runOptions.configuration(RewardTrainingConfiguration.self)
        if let epochs { configuration.epochs = epochs }
        if let seed { configuration.optimization.seed = seed; configuration.headSeed = seed }
        try configuration.validate()
        let world = try TrainingWorld.join()
        let folder = RunFolder(runOptions.folderURL)
        let (training, heldOut) = try await splitData(configuration)
        print("comparisons: \(training.count) for training, \(heldOut.count) held out")
        if heldOut.isEmpty { print("no comparison is held out (heldOutPeriod \(configuration.heldOutPeriod)): the run reports no held-out accuracy") }
        let reward = try startingModel(configuration)
        // Written once the data and the model have loaded, so that a mistyped path leaves no run folder behind.
        if world.isRoot {
            try FileManager.default.createDirectory(at: folder.url, withIntermediateDirectories: true)
            try folder.writeConfiguration(ConfigurationFile.encode(configuration))
        }
        if reward.isFrozen {
            // The backbone reads each distinct text once (cached across runs); then the head trains in seconds.
            reward.featureCache = try reward.openFeatureCache(at: featureCache.map { URL(fileURLWithPath: $0) } ?? folder.url.appendingPathComponent("backbone-features.safetensors"))
            reward.featureProgress = FeatureProgressBar(title: "backbone").update
        }
        let samples = try referenceSamples(for: training, configuration: configuration, reward: reward)
        if samples == nil, configuration.normalizationSamples > 0 { print("note: no reference policy: rewards are normalised on the training responses") }
        let trainer = try RewardTrainer(model: reward, configuration: configuration, run: folder, communicator: world)
        let start = Date()
        let evaluation = try trainer.train(on: training, heldOut: heldOut, normalizingOn: samples, events: RewardProgressView(title: reward.isFrozen ? "head" : "reward").handle)
        try TrainingWorld.finish(world, steps: trainer.completedSteps, seconds: Date().timeIntervalSince(start))
        guard world.isRoot else { return }
        try finish(folder: folder, training: training, heldOut: heldOut, steps: trainer.completedSteps, seconds: Date().timeIntervalSince(start),
                   normalization: (reward.gain, reward.bias), evaluation: evaluation)
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

    /// A new head on a language model (its backbone fine-tuned or frozen), or a reward model to
    /// continue training (a frozen one's head starts afresh).
    func startingModel(_ configuration: RewardTrainingConfiguration) throws -> RewardModel {
        let url = URL(fileURLWithPath: model)
        if RewardModel.isRewardModelFolder(url) { return try RewardModel.load(from: url, trainable: true) }
        switch backbone ?? (url.pathExtension == "gguf" ? .frozen : .fineTuned) {
        case .frozen: return try RewardModel.frozen(LanguageModel.load(from: url, trainable: false), readout: readout, chatPrompts: chatPrompts)
        case .fineTuned:
            return try RewardModel.fineTuning(LanguageModel.load(from: url, trainable: true), seed: configuration.headSeed, readout: readout, chatPrompts: chatPrompts)
        }
    }

    /// The reference policy's samples on the training prompts (distinct prompts, shuffled by the
    /// seed, cycled) as the reward model reads them, or nil when no policy is known (a reward
    /// model or frozen backbone as --model, no --policy) or normalisation is off.
    func referenceSamples(for training: [Comparison], configuration: RewardTrainingConfiguration, reward: RewardModel) throws -> [[Int32]]? {
        let url = URL(fileURLWithPath: model)
        guard configuration.normalizationSamples > 0,
              let source = policy ?? (RewardModel.isRewardModelFolder(url) || reward.isFrozen ? nil : model) else { return nil }
        let policy = try LanguageModel.load(from: URL(fileURLWithPath: source), trainable: false)
        var generator = RandomGenerator(seed: configuration.optimization.seed)
        let prompts = Array(Set(training.map(\.prompt))).sorted()
        let shuffled = generator.permutation(prompts.count).map { prompts[$0] }
        let parameters = SamplingParameters(temperature: 1, maxNewTokens: configuration.normalizationResponseTokens)
        let samples = try PolicySamples.draw(
            from: policy, prompts: shuffled, count: configuration.normalizationSamples, parameters: parameters, seed: configuration.optimization.seed)
        // A policy over the reward model's tokenizer is read as it sampled; any other as text.
        if !reward.isFrozen, policy.tokenizer.vocabularySize == reward.backbone.tokenizer.vocabularySize { return reward.sequences(of: samples) }
        return try reward.sequences(of: try zip(samples.prompts, samples.responses).map { prompt, response in
            (try policy.decode(prompt), try policy.decode(response.filter { !policy.stopTokens.contains($0) }))
        })
    }
}
