// `rlhf sft`: fine-tune a model on demonstrations (loss on the answers only), the whole model or
// low-rank adapters on a frozen base; chat models read the prompts in their chat template.
import ArgumentParser
import Finetuning
import Foundation
import LanguageModeling
import TrainingRuns
import Transformer

struct SFTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sft",
        abstract: "Supervised fine-tuning on JSONL demonstrations: {\"prompt\", \"completion\"} (or \"response\"), conversational {\"prompt\": [messages], \"completion\": [message]}, or {\"messages\": [...]} per line.")

    @OptionGroup var model: ModelOptions

    @Option(help: "The demonstrations, one JSON object per line.")
    var data: String

    @OptionGroup var runOptions: RunOptions

    @OptionGroup var loraOptions: LoRAOptions

    @Option(help: "Optimizer steps (overrides the configuration's optimization.steps, \(SupervisedConfiguration().optimization.steps) by default).")
    var steps: Int?

    func run() throws {
        var configuration = try runOptions.configuration(SupervisedConfiguration.self)
        if let steps { configuration.optimization.steps = steps }
        try configuration.validate()
        let adapted = loraOptions.loraRank != nil || configuration.lora != nil || model.adapter != nil
        let base = try model.load(trainable: !adapted)
        if let lora = loraOptions.configuration(for: base.network) { configuration.lora = lora }
        if base.network.adapters == nil, let lora = configuration.lora {
            try base.network.attachAdapters(lora, seed: configuration.loraSeed)
        }
        let world = try TrainingWorld.join()
        let folder = RunFolder(runOptions.folderURL)
        // The data is read before the run folder is touched: a bad line must not leave a
        // finished run's config.json describing this one.
        let demonstrations = try DemonstrationFile.read(URL(fileURLWithPath: data))
        let instructions = try Recipes.instructionData(demonstrations, model: base, heldOutPeriod: configuration.heldOutPeriod, seed: configuration.optimization.seed)
        var inputs = RunInputs()
        try model.record(in: &inputs)
        loraOptions.record(in: &inputs)
        inputs.recordPath("--data", data)
        inputs.recordDigest("content of --data", sequences: (instructions.training + instructions.heldOut).flatMap { [$0.prompt, $0.response] })
        try TrainingWorld.prepare(folder, configuration: configuration, inputs: inputs, resuming: runOptions.resume, world: world)
        print("demonstrations: \(instructions.training.count) for training, \(instructions.heldOut.count) held out")
        let trainer = try LanguageModelTrainer(model: base, data: instructions, settings: configuration.optimization, run: folder, communicator: world)
        if runOptions.resume, try trainer.resumeFromLatestCheckpoint() == nil { print("no checkpoint to resume from; starting at step 0") }
        let view = TrainingProgressView(title: "sft")
        let start = Date()
        let loss = try trainer.train(events: view.handle)
        try TrainingWorld.finish(world, steps: trainer.completedSteps, seconds: Date().timeIntervalSince(start))
        let saved = base.network.adapters == nil ? "model" : "adapter"
        print(loss.map { String(format: "held-out response loss %.4f; %@ in %@", $0, saved, folder.modelURL.path) } ?? "\(saved) in \(folder.modelURL.path)")
    }
}
