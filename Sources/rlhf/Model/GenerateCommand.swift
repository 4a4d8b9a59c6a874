// `rlhf generate`: sample continuations of prompts, or with --chat the model's answers to them as
// user messages in its chat template.
import ArgumentParser
import Foundation
import LanguageModeling
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

    @OptionGroup var sampling: SamplingOptions<GenerationDefaults>

    @Option(help: "Random seed.")
    var seed: UInt64 = 0

    @Flag(help: "Print one JSON object per sample instead of text.")
    var json = false

    @Flag(help: "Treat each prompt as a user message in the model's chat template and print just the answer.")
    var chat = false

    @Option(help: "With --chat, a system message (else the template's default).")
    var system: String?

    func validate() throws {
        try CountOption.check(count, "--count")
    }

    func run() throws {
        let languageModel = try model.load()
        let parameters = sampling.parameters
        let expanded = (prompts.isEmpty ? [""] : prompts).flatMap { Array(repeating: $0, count: count) }
        var generator = RandomGenerator(seed: seed)
        if chat {
            guard languageModel.chatTemplate != nil else {
                throw ValidationError("\(model.model) has no chat template; leave out --chat to continue text")
            }
            let prefix = system.map { [ChatMessage(role: "system", content: $0)] } ?? []
            let answers = try languageModel.answer(expanded.map { prefix + [ChatMessage(role: "user", content: $0)] }, parameters: parameters, generator: &generator)
            for (prompt, answer) in zip(expanded, answers) {
                print(json ? try line(["prompt": prompt, "answer": answer]) : answer)
            }
            return
        }
        let completions = try languageModel.complete(expanded, parameters: parameters, generator: &generator)
        for (prompt, completion) in zip(expanded, completions) {
            print(json ? try line(["prompt": prompt, "completion": completion]) : "\(prompt)\(completion)\n---")
        }
    }

    private func line(_ object: [String: String]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}
