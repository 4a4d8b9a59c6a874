// Perplexity of a text under a model, as `rlhf perplexity` reports it: the text cut into
// consecutive windows of the full context, each token after a window's first predicted from the
// tokens before it in the same window.
import Foundation
import Tensors
import Transformer

public struct PerplexityReport: Codable, Sendable, Equatable {
    /// Tokens predicted.
    public let tokens: Int
    /// Mean negative log-likelihood of those tokens, in nats.
    public let meanNLL: Double
    public var perplexity: Double { Foundation.exp(meanNLL) }

    enum CodingKeys: String, CodingKey {
        case tokens
        case meanNLL = "mean_nll"
        case perplexity
    }

    public init(tokens: Int, meanNLL: Double) {
        self.tokens = tokens
        self.meanNLL = meanNLL
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        tokens = try container.decode(Int.self, forKey: .tokens)
        meanNLL = try container.decode(Double.self, forKey: .meanNLL)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tokens, forKey: .tokens)
        try container.encode(meanNLL, forKey: .meanNLL)
        try container.encode(perplexity, forKey: .perplexity)
    }
}

extension CausalLanguageModel {
    /// Perplexity of `tokens` in consecutive non-overlapping windows of `window` tokens (the
    /// context length by default; the last may be shorter), scoring `batchSize` windows per
    /// forward pass.
    public func perplexity(of tokens: [Int32], window: Int? = nil, batchSize: Int = 8, progress: (Int, Int) -> Void = { _, _ in }) throws -> PerplexityReport {
        let window = min(max(2, window ?? contextLength), contextLength)
        let starts = Array(stride(from: 0, to: tokens.count, by: window))
        var total = 0.0, predicted = 0
        var done = 0
        // Full windows share a batch; the shorter last window runs alone.
        let groups = Dictionary(grouping: starts) { min(window, tokens.count - $0) }
        for (length, group) in groups.sorted(by: { $0.key > $1.key }) where length > 1 {
            for chunk in stride(from: 0, to: group.count, by: batchSize).map({ Array(group[$0..<min($0 + batchSize, group.count)]) }) {
                let rows = chunk.map { Array(tokens[$0..<($0 + length)]) }
                let targets = rows.flatMap { row in (0..<length).map { $0 + 1 < length ? row[$0 + 1] : -1 } }
                let logits = try logits(hiddenStates(TokenBatch(rows: rows), tape: nil), tape: nil)
                let logProbabilities = try logits.tokenLogProbabilities(of: targets)
                total -= logProbabilities.scalars.reduce(0.0) { $0 + Double($1) }
                predicted += chunk.count * (length - 1)
                done += chunk.count
                progress(done, starts.count)
            }
        }
        return PerplexityReport(tokens: predicted, meanNLL: predicted == 0 ? 0 : total / Double(predicted))
    }
}
