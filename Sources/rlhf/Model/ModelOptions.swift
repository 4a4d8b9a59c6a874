// Options shared by the model commands.
import ArgumentParser
import Foundation
import LanguageModeling

struct ModelOptions: ParsableArguments {
    @Option(help: "A model folder (config.json, model.safetensors, vocab.json, merges.txt).")
    var model: String

    func load(trainable: Bool = false) throws -> LanguageModel {
        try LanguageModel.load(from: URL(fileURLWithPath: model), trainable: trainable)
    }
}

struct RunOptions: ParsableArguments {
    @Option(help: "The run folder: config.json, metrics.jsonl, checkpoints/, and the final model in model/.")
    var output: String

    @Option(help: "A JSON file with the run configuration; given fields replace the defaults.")
    var config: String?

    @Flag(help: "Continue from the run folder's latest checkpoint.")
    var resume = false

    var folderURL: URL { URL(fileURLWithPath: output) }
}
