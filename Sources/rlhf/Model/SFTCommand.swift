// `rlhf sft`: fine-tune a model on prompt/response demonstrations (loss on responses only).
import ArgumentParser
import ConfigFiles
import Finetuning
import Foundation
import LanguageModeling

struct SFTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sft", abstract: "Supervised fine-tuning on JSONL demonstrations ({\"prompt\": ..., \"response\": ...} per line).")

    @OptionGroup var model: ModelOptions

    @Option(help: "The demonstrations, one JSON object per line.")
    var data: String

    @OptionGroup var runOptions: RunOptions

    @Option(help: "Optimizer steps (overrides the configuration).")
    var steps: Int?

    func run() throws {
        var configuration = try runOptions.config.map {
            try ConfigurationFile.load(SupervisedConfiguration.self, from: URL(fileURLWithPath: $0), defaults: SupervisedConfiguration())
        } ?? SupervisedConfiguration()
        if let steps { configuration.optimization.steps = steps }
        try configuration.optimization.validate()
        let folder = RunFolder(runOptions.folderURL)
        try folder.prepare()
        try folder.writeConfiguration(ConfigurationFile.encode(configuration))

        let base = try model.load(trainable: true)
        let demonstrations = try DemonstrationFile.read(URL(fileURLWithPath: data))
        let instructions = try Recipes.instructionData(demonstrations, model: base, heldOutPeriod: configuration.heldOutPeriod, seed: configuration.optimization.seed)
        print("demonstrations: \(instructions.training.count) for training, \(instructions.heldOut.count) held out")
        let trainer = try LanguageModelTrainer(model: base, data: instructions, settings: configuration.optimization, run: folder)
        if runOptions.resume, try trainer.resumeFromLatestCheckpoint() == nil { print("no checkpoint to resume from; starting at step 0") }
        let view = TrainingProgressView(title: "sft")
        let loss = try trainer.train(events: view.handle)
        print(loss.map { String(format: "held-out response loss %.4f; model in %@", $0, folder.modelURL.path) } ?? "model in \(folder.modelURL.path)")
    }
}
