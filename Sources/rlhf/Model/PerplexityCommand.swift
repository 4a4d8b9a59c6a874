// `rlhf perplexity --model DIR FILE`: {"tokens": N, "mean_nll": X, "perplexity": Y} for a text.
import ArgumentParser
import Foundation
import LanguageModeling

struct PerplexityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perplexity",
        abstract: "Perplexity of a text file: consecutive windows of the full context, each token after a window's first predicted from the tokens before it.")

    @OptionGroup var model: ModelOptions

    @Argument(help: "The text file (UTF-8).")
    var file: String

    @Option(help: "Tokens per window (default: the context length, at most 1,024: SmolLM2's 8,192-token context would need gigabytes of attention scores per window).")
    var window: Int?

    func run() throws {
        guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("\(file): file not found") }
        let languageModel = try model.load()
        let tokens = languageModel.encode(String(decoding: data, as: UTF8.self))
        let report = try languageModel.network.perplexity(of: tokens, window: window ?? min(1024, languageModel.network.contextLength))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(report), as: UTF8.self))
    }
}
