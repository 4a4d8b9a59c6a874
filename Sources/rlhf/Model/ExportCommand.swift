// `rlhf export`: a model as a Hugging Face folder transformers loads (config.json,
// model.safetensors, tokenizer.json, tokenizer_config.json with the chat template, vocab.json +
// merges.txt): a GGUF file dequantised, or a base with its adapter merged in.
import ArgumentParser
import AtomicFiles
import Foundation
import LanguageModeling

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write a model (a GGUF file, a folder, or a base + --adapter merged into it) as a Hugging Face folder.")

    @OptionGroup var model: ModelOptions

    @Option(help: "The folder to write: a new one, or one an export wrote before, which is replaced whole.")
    var output: String

    func run() throws {
        let languageModel = try model.load()
        let merged = languageModel.network.adapters != nil
        languageModel.network.mergeAdapters()
        let folder = URL(fileURLWithPath: output)
        // Written whole beside the folder and swapped in: an export killed or out of room midway
        // leaves the previous export, never one model's weights beside another's tokenizer.
        try AtomicFolder.replace(folder) { staging in
            try languageModel.save(to: staging)
            try Self.refuseToDropFiles(of: folder, keeping: staging)
        }
        print("\(merged ? "merged model" : "model") in \(output)")
    }

    /// The swap replaces the folder whole, so a folder holding files the export would not write
    /// again (a model card, a generation config, the user's own) is refused rather than emptied.
    static func refuseToDropFiles(of folder: URL, keeping staging: URL) throws {
        let manager = FileManager.default
        guard let existing = try? manager.contentsOfDirectory(atPath: folder.path) else { return }
        let written = Set(try manager.contentsOfDirectory(atPath: staging.path))
        let dropped = existing.filter { !written.contains($0) }.sorted()
        guard dropped.isEmpty else {
            throw ValidationError(
                "--output \(folder.path) holds \(dropped.joined(separator: ", ")), which the export would not write again: "
                + "name a new folder, or move \(dropped.count == 1 ? "it" : "them") out first")
        }
    }
}
