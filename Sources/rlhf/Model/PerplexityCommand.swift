// `rlhf perplexity --model DIR FILE`: {"tokens": N, "mean_nll": X, "perplexity": Y} for a text.
import ArgumentParser
import Foundation
import Finetuning
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

    func validate() throws {
        if let window { try CountOption.check(window, "--window", from: 2) }
    }

    func run() throws {
        let data = try DataFile.contents(of: URL(fileURLWithPath: file))
        let languageModel = try model.load()
        let tokens = languageModel.encode(String(decoding: data, as: UTF8.self))
        guard tokens.count >= 2 else { throw InputError("\(file): \(tokens.count) tokens; a perplexity needs at least 2") }
        let report = try languageModel.network.perplexity(of: tokens, window: window ?? min(1024, languageModel.network.contextLength))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(report), as: UTF8.self))
    }
}
