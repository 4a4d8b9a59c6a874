// Prompt + response pairs laid out for one forward pass: prompts left-padded to a common length
// P so every response starts at position P, responses right-padded to a common length R.
import Tensors

public struct SequenceBatch: Sendable {
    public let input: TokenBatch
    /// Common (padded) prompt length P.
    public let promptLength: Int
    /// Common (padded) response length R.
    public let responseLength: Int
    /// Real response lengths.
    public let responseLengths: [Int]
    /// Response tokens [B, R], −1 where padded: the targets the logits at positions P−1 ..< P−1+R predict.
    public let responseTargets: [Int32]
    /// 1 for real response tokens, 0 for padding: [B, R].
    public let responseMask: [Float]
    /// The tokens every prompt starts with (chat prompts share their template's system message
    /// and user header), as `TokenBatch.sharedPrefixLength` counts them: empty when there are
    /// too few to read apart.
    public let sharedPrefix: [Int32]
    /// The rows after the shared prefix, left-padded as `input`, positions counting on from the
    /// prefix's end (`input` itself when nothing is shared).
    public let suffixInput: TokenBatch

    public var batch: Int { input.batch }

    /// Fails when a prompt is empty (nothing would predict the first response token).
    /// `minimumLength` pads every response to at least that length (at least the longest), so batches
    /// of different rows line up column by column.
    public init(prompts: [[Int32]], responses: [[Int32]], padding: Int32, responseLength minimumLength: Int? = nil) throws {
        guard prompts.count == responses.count, !prompts.isEmpty else {
            throw TensorError.countMismatch(operation: "SequenceBatch (responses for prompts)", shape: [prompts.count], count: responses.count)
        }
        if let row = prompts.firstIndex(where: \.isEmpty) {
            throw TensorError.invalidShape(operation: "SequenceBatch (prompt \(row))", [0], expected: "at least one prompt token")
        }
        let (P, R) = (prompts.map(\.count).max()!, max(1, minimumLength ?? 0, responses.map(\.count).max()!))
        let rows = zip(prompts, responses).map { prompt, response in
            prompt + response + Array(repeating: padding, count: R - response.count)
        }
        // Left padding is each prompt's shortfall, so positions count from the prompt's first token;
        // the right padding after a response is never attended by the positions before it.
        input = try TokenBatch.leftPadded(rows, padding: padding, to: P + R)
        promptLength = P
        responseLength = R
        responseLengths = responses.map(\.count)
        responseTargets = responses.flatMap { $0 + Array(repeating: -1, count: R - $0.count) }
        responseMask = responses.flatMap { Array(repeating: 1, count: $0.count) + Array(repeating: 0, count: R - $0.count) }
        let shared = TokenBatch.sharedPrefixLength(of: prompts)
        sharedPrefix = Array(prompts[0].prefix(shared))
        suffixInput = shared == 0 ? input : try TokenBatch.leftPadded(rows, padding: padding, to: P + R, droppingPrefix: shared)
    }

    /// The response mask as a constant tensor [B, R].
    public var responseMaskTensor: Tensor {
        try! Tensor(shape: [batch, responseLength], values: responseMask)
    }

    /// Positions P−1+j whose hidden state predicts response token j; the last real token of
    /// each sequence is at `lastTokenPositions[b]`.
    public var lastTokenPositions: [Int32] {
        responseLengths.map { Int32(promptLength + $0 - 1) }
    }
}
