// A GPT-2 network with the tokenizer it reads: the unit a checkpoint folder holds (config.json,
// model.safetensors, vocab.json, merges.txt) and what commands take as --model.
import Checkpoints
import Foundation
import Randomness
import Tokenization
import Transformer

public final class LanguageModel {
    public let network: GPT
    public let tokenizer: BPETokenizer

    public init(network: GPT, tokenizer: BPETokenizer) throws {
        guard tokenizer.vocabularySize <= network.configuration.vocabularySize else {
            throw CheckpointError.invalidField(
                path: "tokenizer", field: "vocabulary",
                reason: "has \(tokenizer.vocabularySize) tokens, more than the model's \(network.configuration.vocabularySize)")
        }
        self.network = network
        self.tokenizer = tokenizer
    }

    /// Loads a checkpoint folder with its tokenizer files.
    public static func load(from folder: URL, trainable: Bool = true) throws -> LanguageModel {
        let network = try GPT.load(from: folder, trainable: trainable)
        return try LanguageModel(network: network, tokenizer: BPETokenizer(directory: folder))
    }

    /// Writes the checkpoint folder: weights, config and tokenizer files, each atomically.
    public func save(to folder: URL) throws {
        try network.save(to: folder)
        try tokenizer.save(to: folder)
    }

    /// `<|endoftext|>`, which separates documents and ends answers.
    public var endOfText: Int32? {
        tokenizer.specialTokenID("<|endoftext|>").map(Int32.init) ?? network.configuration.endOfTextToken
    }

    /// Token ids of `text`; special-token text is encoded as ordinary text.
    public func encode(_ text: String) -> [Int32] {
        tokenizer.encode(text).map(Int32.init)
    }

    /// Text of `ids`; invalid UTF-8 from a cut multi-byte character is repaired.
    public func decode(_ ids: [Int32]) throws -> String {
        try tokenizer.decode(ids.map(Int.init))
    }

    /// Continues each prompt; generation ends at `<|endoftext|>` (not included in the text) or
    /// at the length limit.
    public func complete(_ prompts: [String], parameters: SamplingParameters, generator: inout RandomGenerator) throws -> [String] {
        var parameters = parameters
        if let endOfText, !parameters.stopTokens.contains(endOfText) { parameters.stopTokens.append(endOfText) }
        let generations = try network.generate(
            prompts: prompts.map { encode($0).isEmpty ? [endOfText ?? 0] : encode($0) },
            parameters: parameters, generator: &generator, padding: endOfText ?? 0)
        return try generations.map { generation in
            try decode(generation.tokens.filter { $0 != endOfText })
        }
    }
}
