// What one training step of a language model reads: token rows and, for every position, the
// token it must predict (−1 where nothing is predicted: prompt tokens, padding).
import Transformer

public struct LanguageModelBatch: Sendable {
    public let input: TokenBatch
    /// [B·T] next-token targets, −1 for ignored positions.
    public let targets: [Int32]

    public init(input: TokenBatch, targets: [Int32]) {
        precondition(targets.count == input.batch * input.time, "\(targets.count) targets for a \(input.batch)×\(input.time) batch")
        self.input = input
        self.targets = targets
    }

    /// Positions that carry a target.
    public var predictedTokens: Int { targets.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) } }

    /// The batch of rows `rows` only.
    public func rows(_ rows: Range<Int>) -> LanguageModelBatch {
        let time = input.time
        return LanguageModelBatch(input: input.rows(rows), targets: Array(targets[(rows.lowerBound * time)..<(rows.upperBound * time)]))
    }
}

/// A source of training batches whose position can be saved and restored, so a resumed run
/// reads exactly the batches the interrupted one would have read.
public protocol TrainingData {
    associatedtype Cursor: Codable & Sendable

    /// The next micro-batch of `batchSize` rows.
    mutating func nextBatch(size batchSize: Int) throws -> LanguageModelBatch
    /// Fixed held-out batches for evaluation loss.
    func evaluationBatches(count: Int, size batchSize: Int) throws -> [LanguageModelBatch]
    var cursor: Cursor { get }
    /// Continues from a saved cursor; throws `SavedOrderMismatch` when it does not fit this data.
    mutating func restore(_ cursor: Cursor) throws
}
