// A Llama-architecture decoder for inference (SmolLM2): token embedding, then blocks of
// RMSNorm → grouped-query attention with rotary positions → residual, RMSNorm → SwiGLU →
// residual, a final RMSNorm, and the output head (the token embedding when tied). Weights come
// from a GGUF file, dequantized to Float once; every product goes to BLAS.
import Checkpoints
import Kernels

public final class Llama: @unchecked Sendable {
    public let configuration: LlamaConfiguration
    /// [V, C]; also the output head when the file has no `output.weight`.
    let tokenEmbedding: [Float]
    let outputHead: [Float]?
    let outputNorm: [Float]
    let blocks: [LlamaBlockWeights]
    let frequencies: [Float]

    /// Reads the network from a GGUF file, checking every tensor's shape.
    public init(gguf file: GGUFFile) throws(CheckpointError) {
        let c = try LlamaConfiguration(gguf: file)
        configuration = c
        tokenEmbedding = try file.floats("token_embd.weight", shape: [c.vocabularySize, c.width])
        outputHead = file.tensors.contains { $0.name == "output.weight" }
            ? try file.floats("output.weight", shape: [c.vocabularySize, c.width]) : nil
        outputNorm = try file.floats("output_norm.weight", shape: [c.width])
        blocks = try (0..<c.layers).map { (layer: Int) throws(CheckpointError) -> LlamaBlockWeights in try LlamaBlockWeights(file, layer: layer, c) }
        frequencies = RotaryEmbedding.frequencies(headSize: c.headSize, base: c.ropeBase)
    }

    /// The hidden state after the final RMSNorm at each sequence's last token: [B, C] row-major.
    public func lastHiddenStates(_ sequences: [[Int32]]) throws -> [Float] {
        let c = configuration
        let (hidden, time) = try finalHiddenStates(sequences)
        var result = [Float](repeating: 0, count: sequences.count * c.width)
        for (row, sequence) in sequences.enumerated() {
            let start = (row * time + sequence.count - 1) * c.width
            result.replaceSubrange((row * c.width)..<((row + 1) * c.width), with: hidden[start..<(start + c.width)])
        }
        return result
    }

    /// Next-token logits after each sequence: [B, V] row-major.
    public func nextTokenLogits(_ sequences: [[Int32]]) throws -> [Float] {
        let c = configuration
        let last = try lastHiddenStates(sequences)
        var logits = [Float](repeating: 0, count: sequences.count * c.vocabularySize)
        let head = outputHead ?? tokenEmbedding
        last.withUnsafeBufferPointer { x in
            head.withUnsafeBufferPointer { w in
                logits.withUnsafeMutableBufferPointer { out in
                    Linear.forward(out: out.baseAddress!, input: x.baseAddress!, weight: w.baseAddress!, layout: .outputMajor, bias: nil,
                                   rows: sequences.count, inputs: c.width, outputs: c.vocabularySize)
                }
            }
        }
        return logits
    }

    /// Final hidden states [B, T, C] of the sequences right-padded to the longest, T. Padding
    /// follows each sequence's real tokens, so causal attention keeps it out of their states.
    func finalHiddenStates(_ sequences: [[Int32]]) throws -> (hidden: [Float], time: Int) {
        let c = configuration
        let time = sequences.map(\.count).max() ?? 0
        guard !sequences.isEmpty, sequences.allSatisfy({ !$0.isEmpty }) else {
            throw LlamaInputError.emptySequence
        }
        guard time <= c.contextLength else { throw LlamaInputError.tooLong(tokens: time, contextLength: c.contextLength) }
        if let bad = sequences.joined().first(where: { $0 < 0 || Int($0) >= c.vocabularySize }) {
            throw LlamaInputError.unknownToken(bad, vocabularySize: c.vocabularySize)
        }
        var scratch = LlamaScratch(batch: sequences.count, time: time, c)
        scratch.embed(sequences, table: tokenEmbedding, width: c.width)
        for block in blocks { block.apply(&scratch, c, frequencies: frequencies) }
        scratch.normalize(weight: outputNorm, epsilon: c.rmsNormEpsilon)
        return (scratch.normalized, time)
    }
}

public enum LlamaInputError: Error, Equatable, CustomStringConvertible {
    case emptySequence
    case tooLong(tokens: Int, contextLength: Int)
    case unknownToken(Int32, vocabularySize: Int)

    public var description: String {
        switch self {
        case .emptySequence: return "a sequence to run through the model has no tokens"
        case let .tooLong(tokens, contextLength): return "a sequence of \(tokens) tokens exceeds the context length \(contextLength)"
        case let .unknownToken(id, vocabularySize): return "token id \(id) is outside the vocabulary (0..<\(vocabularySize))"
        }
    }
}
