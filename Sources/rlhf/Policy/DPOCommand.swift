// `rlhf dpo`: preference optimisation without RL (DPO, conservative DPO, IPO) on preference
// pairs from TRL's JSONL or a feedback store's rankings, training the whole model or low-rank
// adapters on a frozen base. The reference is the starting policy: its log-probabilities are
// computed once, before the first step, and kept in every checkpoint.
import ArgumentParser
import FeedbackComparisons
import Finetuning
import Foundation
import LanguageModeling
import PreferenceOptimization
import TrainingRuns
import Transformer

struct DPOCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dpo",
        abstract: "Direct preference optimisation (DPO, cDPO, IPO) on prompt/chosen/rejected pairs, the whole model or LoRA adapters.",
        discussion: "With --db, the store's rankings give the pairs: every two responses in different tiers, the better one chosen; ties give none.")

    @OptionGroup var model: ModelOptions

    @Option(help: "Preference pairs, one JSON object per line: {\"prompt\", \"chosen\", \"rejected\"} as text, as message lists ({\"prompt\": [messages], \"chosen\": [answer], \"rejected\": [answer]}), or {\"chosen\": [messages], \"rejected\": [messages]} sharing their prompt.")
    var data: String?

    @OptionGroup var store: JudgmentStoreOption

    @Option(help: "β: larger keeps the policy closer to the reference (IPO's τ); overrides the configuration (default 0.1).")
    var beta: Double?

    @Option(help: "The loss: sigmoid (DPO; cDPO with --label-smoothing) or ipo (overrides the configuration).")
    var loss: PreferenceLossType?

    @Option(help: "cDPO's ε, the assumed probability that a label is flipped, in [0, 0.5) (sigmoid loss; overrides the configuration).")
    var labelSmoothing: Double?

    @OptionGroup var runOptions: RunOptions

    @OptionGroup var loraOptions: LoRAOptions

    @Option(help: "Optimizer steps (overrides the configuration's optimization.steps, \(PreferenceConfiguration().optimization.steps) by default).")
    var steps: Int?

    func validate() throws {
        if (data == nil) == (store.location == nil) { throw ValidationError("give the pairs with exactly one of --data FILE.jsonl and --db STORE") }
    }

    func run() async throws {
        var configuration = try runOptions.configuration(PreferenceConfiguration.self)
        if let steps { configuration.optimization.steps = steps }
        if let beta { configuration.dpo.beta = beta }
        if let loss { configuration.dpo.loss = loss }
        if let labelSmoothing { configuration.dpo.labelSmoothing = labelSmoothing }
        try configuration.validate()
        let pairs = try await preferencePairs()
        let adapted = loraOptions.loraRank != nil || configuration.lora != nil || model.adapter != nil
        let policy = try model.load(trainable: !adapted)
        if let lora = loraOptions.configuration(for: policy.network) { configuration.lora = lora }
        if policy.network.adapters == nil, let lora = configuration.lora {
            try policy.network.attachAdapters(lora, seed: configuration.loraSeed)
        }
        let world = try TrainingWorld.join()
        let folder = RunFolder(runOptions.folderURL)
        let preferences = try PreferenceData(
            pairs, model: policy, heldOutPeriod: configuration.heldOutPeriod, maximumPromptLength: configuration.maximumPromptLength)
        var inputs = RunInputs()
        try model.record(in: &inputs)
        loraOptions.record(in: &inputs)
        inputs.recordPath("--data", data)
        store.record(in: &inputs)
        inputs.recordDigest("content of the pairs", sequences: (preferences.training + preferences.heldOut).flatMap { [$0.prompt, $0.chosen, $0.rejected] })
        try TrainingWorld.prepare(folder, configuration: configuration, inputs: inputs, resuming: runOptions.resume, world: world)
        print("preference pairs: \(preferences.training.count) for training, \(preferences.heldOut.count) held out")
        let objective = try DirectPreferenceOptimization(
            data: preferences, settings: configuration.dpo, seed: configuration.optimization.seed,
            referenceBatchSize: configuration.optimization.batchSize)
        let trainer = try DPOTrainer(model: policy, objective: objective, settings: configuration.optimization, run: folder, communicator: world)
        let resumed = runOptions.resume ? try trainer.resumeFromLatestCheckpoint() : nil
        if runOptions.resume, resumed == nil { print("no checkpoint to resume from; starting at step 0") }
        if resumed == nil { print("reference log-probabilities: one pass over \(preferences.training.count + preferences.heldOut.count) pairs") }
        let start = Date()
        try trainer.train(events: TrainingProgressView(title: "dpo", lossIsCrossEntropy: false).handle)
        try TrainingWorld.finish(world, steps: trainer.completedSteps, seconds: Date().timeIntervalSince(start))
        guard world.isRoot else { return }
        let saved = policy.network.adapters == nil ? "model" : "adapter"
        if let evaluation = try trainer.evaluate() {
            let metric = { (name: String) in evaluation.metrics[name] ?? .nan }
            print(String(format: "held-out loss %.4f, reward accuracy %.3f, margin %.3f", evaluation.loss, metric("rewards/accuracies"), metric("rewards/margins")))
        }
        print("\(saved) in \(folder.modelURL.path)")
    }

    func preferencePairs() async throws -> [PreferencePair] {
        if let data { return try PreferenceFile.read(URL(fileURLWithPath: data)) }
        guard let location = store.location else { throw ValidationError("give the pairs with --data FILE.jsonl or --db STORE") }
        let pairs = PreferencePair.pairs(from: try await store.comparisons())
        guard !pairs.isEmpty else { throw PreferenceOptimizationError.noTrainingPairs(source: location) }
        return pairs
    }
}

extension PreferenceLossType: ExpressibleByArgument {}
