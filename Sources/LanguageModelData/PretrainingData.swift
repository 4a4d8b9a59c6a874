// Pretraining batches: random contiguous windows of a token stream, each predicting its own
// next tokens; a held-out stream gives fixed evaluation windows.
import Randomness
import Tensors
import Transformer

public struct PretrainingData: TrainingData {
    public let training: [Int32]
    public let heldOut: [Int32]
    public let window: Int
    private var generator: RandomGenerator

    public struct Cursor: Codable, Sendable {
        public var generator: RandomGenerator
    }

    /// - Parameter window: tokens per row (the model's context length or less).
    public init(training: [Int32], heldOut: [Int32], window: Int, seed: UInt64) throws {
        guard training.count > window, heldOut.count > window else {
            throw TensorError.invalidShape(operation: "PretrainingData", [training.count, heldOut.count], expected: "training and held-out streams longer than the \(window)-token window")
        }
        self.training = training
        self.heldOut = heldOut
        self.window = window
        generator = RandomGenerator(seed: seed)
    }

    /// Splits one stream: every `period`-th chunk of `chunk` tokens is held out. A stream too short
    /// for `period` such chunks is cut into `period` smaller ones, so a small corpus still holds
    /// one out instead of none.
    public static func split(_ tokens: [Int32], chunk: Int = 4096, period: Int = 20) -> (training: [Int32], heldOut: [Int32]) {
        let size = max(1, min(chunk, tokens.count / period))
        var training: [Int32] = [], heldOut: [Int32] = []
        for (index, start) in stride(from: 0, to: tokens.count, by: size).enumerated() {
            let piece = tokens[start..<min(tokens.count, start + size)]
            if index % period == period - 1 { heldOut += piece } else { training += piece }
        }
        return (training, heldOut)
    }

    public mutating func nextBatch(size batchSize: Int) throws -> LanguageModelBatch {
        let starts = (0..<batchSize).map { _ in generator.integer(in: 0..<(training.count - window)) }
        return try Self.batch(training, starts: starts, window: window)
    }

    /// Evenly spaced windows across the held-out stream.
    public func evaluationBatches(count: Int, size batchSize: Int) throws -> [LanguageModelBatch] {
        let available = heldOut.count - window
        let total = count * batchSize
        let starts = (0..<total).map { $0 * available / max(total, 1) }
        return try stride(from: 0, to: total, by: batchSize).map { try Self.batch(heldOut, starts: Array(starts[$0..<($0 + batchSize)]), window: window) }
    }

    static func batch(_ tokens: [Int32], starts: [Int], window: Int) throws -> LanguageModelBatch {
        let rows = starts.map { Array(tokens[$0..<($0 + window)]) }
        let targets = starts.flatMap { tokens[($0 + 1)...($0 + window)] }
        return LanguageModelBatch(input: try TokenBatch(rows: rows), targets: Array(targets))
    }

    public var cursor: Cursor { Cursor(generator: generator) }

    public mutating func restore(_ cursor: Cursor) {
        generator = cursor.generator
    }
}
