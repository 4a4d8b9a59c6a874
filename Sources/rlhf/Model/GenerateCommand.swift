// `rlhf generate`: sample continuations of prompts.
import ArgumentParser
import Foundation
import Randomness
import Transformer

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Sample continuations of prompts (KV cache, temperature, top-k, top-p).")

    @OptionGroup var model: ModelOptions

    @Option(name: .customLong("prompt"), help: "A prompt (repeatable); without any, one empty prompt starts from <|endoftext|>.")
    var prompts: [String] = []

    @Option(help: "Samples per prompt.")
    var count = 1

    @Option(help: "Tokens to generate at most.")
    var maxNewTokens = 64

    @Option(help: "Softmax temperature; 0 is greedy.")
    var temperature: Float = 1

    @Option(help: "Keep the k most likely tokens (0: all).")
    var topK = 0

    @Option(help: "Keep the smallest set of tokens reaching this probability (1: all).")
    var topP: Float = 1

    @Option(help: "Random seed.")
    var seed: UInt64 = 0

    @Flag(help: "Print one JSON object per sample instead of text.")
    var json = false

    func run() throws {
        let languageModel = try model.load()
        let parameters = SamplingParameters(temperature: temperature, topK: topK, topP: topP, maxNewTokens: maxNewTokens)
        let expanded = (prompts.isEmpty ? [""] : prompts).flatMap { Array(repeating: $0, count: count) }
        var generator = RandomGenerator(seed: seed)
        let completions = try languageModel.complete(expanded, parameters: parameters, generator: &generator)
        for (prompt, completion) in zip(expanded, completions) {
            if json {
                let data = try JSONSerialization.data(withJSONObject: ["prompt": prompt, "completion": completion], options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print("\(prompt)\(completion)\n---")
            }
        }
    }
}
