// `rlhf ilql`: offline RL from stored judgments with implicit language Q-learning (trlX's ILQL):
// a model learns Q- and V-heads (and, through the AWAC term, its own weights) from rewarded
// samples, and decodes with β-weighted advantages.
import ArgumentParser
import FeedbackComparisons
import Finetuning
import Foundation
import LanguageModeling
import OfflineRL
import Randomness
import Reporting
import RewardModeling
import TrainingRuns

struct ILQLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ilql",
        abstract: "Offline RL with ILQL from rewarded samples or stored comparisons; saves the model with its Q/V heads in RUN/model.",
        discussion: """
            RUN/model holds the language model (a checkpoint folder, or a PEFT adapter folder with --lora-rank), \
            ilql_heads.safetensors (Q-, target Q- and V-heads under trlX's names) and ilql.json (head shapes and \
            the default decoding). Comparisons reward each response by its net share of wins within its comparison.
            """)

    @OptionGroup var model: ModelOptions

    @Option(help: "Rewarded samples as JSONL: {\"prompt\", \"response\", \"reward\"} per line (repeatable).")
    var data: [String] = []

    @OptionGroup var store: JudgmentStoreOption

    @Option(help: "Comparisons as JSONL, as `rlhf reward train --data` reads them (repeatable).")
    var comparisons: [String] = []

    @OptionGroup var runOptions: RunOptions

    @OptionGroup var loraOptions: LoRAOptions

    @Option(help: "Optimizer steps (overrides the configuration's optimization.steps, \(ILQLConfiguration().optimization.steps) by default).")
    var steps: Int?

    @Option(help: "Expectile of the value regression, in (0, 1).")
    var tau: Float?

    @Option(help: "Weight of the advantages when decoding (trlX's gen_kwargs beta).")
    var beta: Float?

    @Option(help: "Discount per token.")
    var gamma: Float?

    @Option(help: "Weight of the CQL term.")
    var cqlScale: Float?

    @Option(help: "Weight of the AWAC term.")
    var awacScale: Float?

    @Option(help: "Prompts to decode with the trained policy at the end, as a check.")
    var samples = 3

    func validate() throws {
        try CountOption.check(samples, "--samples", from: 0)
    }

    func run() async throws {
        // Its loss terms are normalised over different sets (actions, states, the CQL logits), so
        // a rank's shard is not a share of the batch's loss: under mpirun every rank would train
        // the whole job into the same folder.
        let world = try TrainingWorld.join()
        guard world.size == 1 else {
            throw ValidationError("rlhf ilql runs as one process: its losses do not split into ranks' shares; run it without mpirun")
        }
        guard !data.isEmpty || store.location != nil || !comparisons.isEmpty else {
            throw ValidationError("give rewarded samples with --data, or comparisons with --db or --comparisons")
        }
        var configuration = try runOptions.configuration(ILQLConfiguration.self)
        if let steps { configuration.optimization.steps = steps }
        if let tau { configuration.tau = tau }
        if let beta { configuration.decoding.beta = beta }
        if let gamma { configuration.gamma = gamma }
        if let cqlScale { configuration.cqlScale = cqlScale }
        if let awacScale { configuration.awacScale = awacScale }
        let adapted = loraOptions.loraRank != nil || model.adapter != nil
        let base = try model.load(trainable: !adapted)
        if base.network.adapters == nil, let lora = loraOptions.configuration(for: base.network) {
            try base.network.attachAdapters(lora, seed: configuration.loraSeed)
        }
        try configuration.validate()

        // Everything that can be refused is, before the run folder is touched: a bad line or a
        // sample that cannot fit must not leave a finished run's config.json describing this one.
        var rewarded = try data.flatMap { try RewardedSample.read(URL(fileURLWithPath: $0)) }
        var judged = try comparisons.flatMap { try ComparisonSource.read(URL(fileURLWithPath: $0)) }
        judged += try await store.comparisons()
        rewarded += RewardedSample.fromComparisons(judged)
        let offline = try ILQLData(
            rewarded, model: base, maximumResponseTokens: configuration.maximumResponseTokens == 0 ? nil : configuration.maximumResponseTokens,
            heldOutPeriod: configuration.heldOutPeriod, seed: configuration.optimization.seed)
        let prompts = Array(Set(rewarded.map(\.prompt))).sorted().prefix(samples)
        let longest = try ILQLPolicy.promptTokens(Array(prompts), model: base).map(\.count).max() ?? 0
        let context = base.network.contextLength, newTokens = configuration.decoding.maxNewTokens
        guard prompts.isEmpty || longest + newTokens <= context else {
            throw ValidationError(
                "decoding.maxNewTokens \(newTokens): the samples shown after training read prompts of up to \(longest) tokens, "
                    + "and with the new tokens they exceed the model's context of \(context); lower decoding.maxNewTokens or pass --samples 0")
        }
        let folder = RunFolder(runOptions.folderURL)
        var inputs = RunInputs()
        try model.record(in: &inputs)
        loraOptions.record(in: &inputs)
        inputs.recordPaths("--data", data)
        inputs.recordPaths("--comparisons", comparisons)
        store.record(in: &inputs)
        let examples = offline.training + offline.heldOut
        inputs.recordDigest("content of the samples", sequences: examples.flatMap { [$0.prompt, $0.response] }, numbers: examples.map(\.reward))
        try TrainingWorld.prepare(folder, configuration: configuration, inputs: inputs, resuming: runOptions.resume, world: world)
        print("samples: \(offline.training.count) for training, \(offline.heldOut.count) held out")

        let policy = try ILQLPolicy(model: base, configuration: configuration)
        let trainer = try ILQLTrainer(policy: policy, data: offline, configuration: configuration, run: folder)
        if runOptions.resume, try trainer.resumeFromLatestCheckpoint() == nil { print("no checkpoint to resume from; starting at step 0") }
        let loss = try trainer.train(events: ILQLProgressView().handle)

        var generator = RandomGenerator(seed: configuration.optimization.seed)
        for (prompt, response) in zip(prompts, try policy.complete(Array(prompts), generator: &generator)) {
            print("> \(prompt)\n\(response)\n")
        }
        print(loss.map { String(format: "held-out ILQL loss %.4f; ", $0) } ?? "", terminator: "")
        print("policy and heads in \(folder.modelURL.path); metrics in \(folder.metricsURL.path)")
    }
}

/// A progress bar with the loss, its Q and V parts, rate and ETA, and a line per evaluation
/// and checkpoint.
final class ILQLProgressView {
    private var bar: ProgressBar?
    private var tokens = 0.0

    func handle(_ event: TrainingEvent) {
        switch event {
        case let .started(firstStep, totalSteps):
            bar = ProgressBar(title: "ilql", total: totalSteps, unit: "tok", initial: firstStep)
            if firstStep > 0 { note("resumed at step \(firstStep)") }
        case let .stepped(report):
            tokens += Double(report.tokens)
            let s = report.metrics
            bar?.update(report.step, rateCount: tokens, detail: String(
                format: "loss %.4f q %.4f v %.4f lr %.2e", report.loss, s["losses/loss_q"] ?? .nan, s["losses/loss_v"] ?? .nan, report.learningRate))
        case let .evaluated(step, loss):
            note(String(format: "step %d: held-out ILQL loss %.4f", step, loss))
        case let .checkpointed(step, folder):
            note("step \(step): checkpoint \(folder.path)")
        }
    }

    private func note(_ line: String) {
        FileHandle.standardError.write(Data("\r\u{1B}[2K\(line)\n".utf8))
    }
}
