// The two training stages of a learning round and the check after them. SFT teaches each
// correction as the answer; DPO then prefers it over the answer it replaced (and thumbs-down
// answers), with the SFT model as its reference, as TRL's recipe runs DPO after SFT. Both
// stages reuse the trainers of `rlhf sft` and `rlhf dpo`, each in a run folder of its own
// whose configuration and metrics.jsonl stay in the version; their checkpoints do not.
import Finetuning
import Foundation
import LanguageModeling
import PreferenceOptimization
import Randomness
import TrainingRuns
import Transformer

extension CorrectionLearner {
    struct Outcome: Sendable {
        var metrics: [String: Double]
        var taught: [AdapterProvenance.TaughtAnswer]
        var drift: [HeldOutDrift]
    }

    func train(_ model: LanguageModel, on material: CorrectionExamples, in folder: URL, events: @escaping (LearningEvent) -> Void) throws -> Outcome {
        let start = Date(), examples = material.read(by: model)
        let probe = try DriftProbe(model: model, prompts: configuration.heldOutPrompts, maximumTokens: configuration.heldOutAnswerTokens)
        var metrics: [String: Double] = ["corrections": Double(examples.demonstrations.count), "pairs": Double(examples.pairs.count)]
        let sftRun = RunFolder(folder.appendingPathComponent("sft"))
        let data = try Recipes.instructionData(examples.demonstrations, model: model, heldOutPeriod: 0, seed: configuration.seed)
        var sftSettings = configuration.sft.settings(examples: data.training.count)
        sftSettings.seed = configuration.seed
        let sft = try LanguageModelTrainer(model: model, data: data, settings: sftSettings, run: sftRun)
        try record(stage: "sft", settings: sftSettings, in: sftRun, into: &metrics, events: events) { try sft.train(events: $0) }

        if !examples.pairs.isEmpty {
            let dpoRun = RunFolder(folder.appendingPathComponent("dpo"))
            let preferences = try PreferenceData(
                examples.pairs, model: model, heldOutPeriod: 0, maximumPromptLength: configuration.maximumPromptLength)
            var dpoSettings = configuration.dpo.settings(examples: preferences.training.count)
            dpoSettings.seed = configuration.seed
            let objective = try DirectPreferenceOptimization(
                data: preferences, settings: configuration.dpoLoss, seed: configuration.seed, referenceBatchSize: dpoSettings.batchSize)
            let dpo = try DPOTrainer(model: model, objective: objective, settings: dpoSettings, run: dpoRun)
            try record(stage: "dpo", settings: dpoSettings, in: dpoRun, into: &metrics, events: events) { try dpo.train(events: $0) }
        }
        metrics["training_seconds"] = Date().timeIntervalSince(start)

        let taught = try check(model, examples.taught.prefix(configuration.checkedCorrections))
        taught.forEach { events(.checked($0)) }
        if !taught.isEmpty { metrics["corrections/reproduced"] = Double(taught.filter(\.reproduced).count) / Double(taught.count) }
        let drift = try probe.measure(model)
        drift.forEach { events(.drifted($0)) }
        if !drift.isEmpty {
            metrics["drift/kl_per_token_mean"] = drift.reduce(0.0) { $0 + $1.klPerToken } / Double(drift.count)
            metrics["drift/kl_per_token_max"] = drift.map(\.klPerToken).max()
        }
        return Outcome(metrics: metrics, taught: taught, drift: drift)
    }

    /// Runs one stage through `body`, recording its first and last losses and its last step's
    /// statistics under `stage/…`, then drops the stage's checkpoints and model copy (the final
    /// adapter is the version's own files).
    private func record(
        stage: String, settings: OptimizationSettings, in run: RunFolder, into metrics: inout [String: Double],
        events: @escaping (LearningEvent) -> Void, _ body: ((TrainingEvent) -> Void) throws -> Void
    ) throws {
        try run.prepare()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try run.writeConfiguration(encoder.encode(settings))
        var first: StepReport?, last: StepReport?
        try body { event in
            events(.training(stage: stage, event))
            if case let .stepped(report) = event {
                if first == nil { first = report }
                last = report
            }
        }
        if let first, let last {
            metrics["\(stage)/initial_loss"] = first.loss
            metrics["\(stage)/loss"] = last.loss
            metrics["\(stage)/steps"] = Double(last.step)
            for (name, value) in last.metrics { metrics["\(stage)/\(name)"] = value }
        }
        try? FileManager.default.removeItem(at: run.checkpointsURL)
        try? FileManager.default.removeItem(at: run.modelURL)
    }

    /// The greedy answer to each corrected conversation, read as the chat reads it, against its correction.
    func check(_ model: LanguageModel, _ taught: ArraySlice<(conversation: [ChatMessage], answer: String)>) throws -> [AdapterProvenance.TaughtAnswer] {
        try taught.map { conversation, answer in
            let prompt = try model.replyPrompt(conversation)
            let limit = max(1, min(model.encode(model.replyTarget(answer)).count + 8, model.network.contextLength / 2))
            var generator = RandomGenerator(seed: configuration.seed)
            let tokens = try model.generate([Array(prompt.suffix(model.network.contextLength - limit))],
                                            parameters: SamplingParameters(temperature: 0, maxNewTokens: limit), generator: &generator)[0].tokens
            let greedy = model.replyText(try model.decode(tokens))
            return AdapterProvenance.TaughtAnswer(
                prompt: conversation.last?.content ?? "", correction: answer, greedyAnswer: greedy,
                reproduced: greedy == model.replyText(model.replyTarget(answer)))
        }
    }
}
