// Reading token sequences of different lengths in one pass, for the callers that want features
// or next-token logits rather than training: each sequence is right-padded to the longest, so
// causal attention keeps the padding out of the real tokens' states.
import Kernels
import Tensors

public enum ModelInputError: Error, Equatable, CustomStringConvertible {
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

extension CausalLanguageModel {
    /// The final hidden state at each sequence's last token: [B, C] row-major.
    public func lastHiddenStates(_ sequences: [[Int32]]) throws -> [Float] {
        let hidden = try hiddenStates(rightPadded(sequences), tape: nil)
        return try hidden.gathered(at: sequences.map { Int32($0.count - 1) }).scalars
    }

    /// Next-token logits after each sequence: [B, V] row-major.
    public func nextTokenLogits(_ sequences: [[Int32]]) throws -> [Float] {
        let hidden = try hiddenStates(rightPadded(sequences), tape: nil)
        return try logits(hidden.gathered(at: sequences.map { Int32($0.count - 1) }), tape: nil).scalars
    }

    func rightPadded(_ sequences: [[Int32]]) throws -> TokenBatch {
        guard !sequences.isEmpty, sequences.allSatisfy({ !$0.isEmpty }) else { throw ModelInputError.emptySequence }
        let time = sequences.map(\.count).max()!
        guard time <= contextLength else { throw ModelInputError.tooLong(tokens: time, contextLength: contextLength) }
        if let bad = sequences.joined().first(where: { $0 < 0 || Int($0) >= vocabularySize }) {
            throw ModelInputError.unknownToken(bad, vocabularySize: vocabularySize)
        }
        return try TokenBatch(rows: sequences.map { $0 + Array(repeating: $0[0], count: time - $0.count) })
    }
}
