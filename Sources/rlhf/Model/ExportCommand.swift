// `rlhf export`: a model as a Hugging Face folder transformers loads (config.json,
// model.safetensors, tokenizer.json, tokenizer_config.json with the chat template, vocab.json +
// merges.txt): a GGUF file dequantised, or a base with its adapter merged in.
import ArgumentParser
import Foundation
import LanguageModeling

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write a model (a GGUF file, a folder, or a base + --adapter merged into it) as a Hugging Face folder.")

    @OptionGroup var model: ModelOptions

    @Option(help: "The folder to write.")
    var output: String

    func run() throws {
        let languageModel = try model.load()
        let merged = languageModel.network.adapters != nil
        languageModel.network.mergeAdapters()
        try languageModel.save(to: URL(fileURLWithPath: output))
        print("\(merged ? "merged model" : "model") in \(output)")
    }
}
