// How the commands that sample a model draw its answers: one set of options with one wording,
// each command choosing its own defaults (a chat page samples warmer and longer than an
// evaluation) by a type, so that --help prints them.
import ArgumentParser
import Transformer

protocol SamplingDefaults {
    static var temperature: Float { get }
    static var maxNewTokens: Int { get }
}

struct SamplingOptions<Defaults: SamplingDefaults>: ParsableArguments {
    @Option(help: "Sampling temperature; 0 picks the most likely token (greedy).")
    var temperature: Float = Defaults.temperature

    @Option(help: "Keep the k most likely tokens (0: all).")
    var topK = 0

    @Option(help: "Keep the smallest set of tokens reaching this probability (1: all).")
    var topP: Float = 1

    @Option(help: "New tokens per answer at most.")
    var maxNewTokens: Int = Defaults.maxNewTokens

    @Option(help: "Divide the scores of tokens already in the prompt or answer by this (transformers' repetition_penalty; 1: off).")
    var repetitionPenalty: Float = 1

    var parameters: SamplingParameters {
        SamplingParameters(temperature: temperature, topK: topK, topP: topP, maxNewTokens: maxNewTokens, repetitionPenalty: repetitionPenalty)
    }

    /// The sampler's own checks, named by the options that set them.
    func validate() throws {
        try CountOption.check(maxNewTokens, "--max-new-tokens")
        do {
            try parameters.validate()
        } catch SamplingError.invalidParameter(let field, let expected) {
            let option = "--" + field.map { $0.isUppercase ? "-" + $0.lowercased() : String($0) }.joined()
            throw ValidationError("\(option) must be \(expected)")
        }
    }
}

enum GenerationDefaults: SamplingDefaults {
    static let temperature: Float = 1
    static let maxNewTokens = 64
}

enum TaskSamplingDefaults: SamplingDefaults {
    static let temperature: Float = 1
    static let maxNewTokens = 40
}

enum EvaluationDefaults: SamplingDefaults {
    static let temperature: Float = 0.7
    static let maxNewTokens = 24
}

enum BestOfNDefaults: SamplingDefaults {
    static let temperature: Float = 0.7
    static let maxNewTokens = 32
}
