// Supervised fine-tuning data: prompt/response pairs from JSONL, trained with the loss on
// response tokens only, in shuffled epochs.
import Foundation
import Randomness
import Transformer

public struct Demonstration: Codable, Sendable, Equatable {
    public var prompt: String
    public var response: String

    public init(prompt: String, response: String) {
        self.prompt = prompt
        self.response = response
    }
}

public enum DataError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case malformedLine(path: String, line: Int, reason: String)
    case empty(path: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "\(path): cannot be read (\(reason))"
        case let .malformedLine(path, line, reason): return "\(path):\(line): \(reason)"
        case let .empty(path): return "\(path): holds no examples"
        }
    }
}

public enum DemonstrationFile {
    /// Reads one JSON object per line with string fields "prompt" and "response" (or
    /// "completion"); blank lines are skipped. Any bad line fails the whole read, naming it.
    public static func read(_ url: URL) throws -> [Demonstration] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw DataError.unreadable(path: url.path, reason: "file not found")
        }
        var examples: [Demonstration] = []
        for (index, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
                throw DataError.malformedLine(path: url.path, line: index + 1, reason: "not a JSON object")
            }
            guard let prompt = object["prompt"] as? String else {
                throw DataError.malformedLine(path: url.path, line: index + 1, reason: "field \"prompt\" is missing or not a string")
            }
            guard let response = (object["response"] ?? object["completion"]) as? String else {
                throw DataError.malformedLine(path: url.path, line: index + 1, reason: "field \"response\" is missing or not a string")
            }
            examples.append(Demonstration(prompt: prompt, response: response))
        }
        guard !examples.isEmpty else { throw DataError.empty(path: url.path) }
        return examples
    }

    /// Writes demonstrations as JSONL, atomically.
    public static func write(_ examples: [Demonstration], to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data()
        for example in examples {
            data.append(try encoder.encode(example))
            data.append(0x0A)
        }
        try data.write(to: url, options: .atomic)
    }
}

/// Tokenized demonstrations: prompt ids, then response ids ending with `<|endoftext|>`.
public struct InstructionData: TrainingData {
    public struct Example: Sendable {
        public let prompt: [Int32]
        public let response: [Int32]
    }

    public let training: [Example]
    public let heldOut: [Example]
    let padding: Int32
    private var order: [Int]
    private var position = 0
    private var epoch = 0
    private var generator: RandomGenerator

    public struct Cursor: Codable, Sendable {
        var order: [Int]
        var position: Int
        var epoch: Int
        var generator: RandomGenerator
    }

    /// Sequences longer than `maximumLength` lose prompt tokens from the left, then response tokens from the right.
    public init(training: [Example], heldOut: [Example], maximumLength: Int, padding: Int32, seed: UInt64) {
        let fit = { (e: Example) -> Example in
            let response = Array(e.response.prefix(maximumLength - 1))
            let prompt = Array(e.prompt.suffix(max(1, maximumLength - response.count)))
            return Example(prompt: prompt, response: response)
        }
        self.training = training.map(fit)
        self.heldOut = heldOut.map(fit)
        self.padding = padding
        generator = RandomGenerator(seed: seed)
        order = generator.permutation(training.count)
    }

    public var epochsCompleted: Int { epoch }

    public mutating func nextBatch(size batchSize: Int) throws -> LanguageModelBatch {
        var chosen: [Example] = []
        while chosen.count < batchSize {
            if position == order.count {
                order = generator.permutation(training.count)
                position = 0
                epoch += 1
            }
            chosen.append(training[order[position]])
            position += 1
        }
        return try Self.batch(chosen, padding: padding)
    }

    public func evaluationBatches(count: Int, size batchSize: Int) throws -> [LanguageModelBatch] {
        let examples = Array(heldOut.prefix(count * batchSize))
        return try stride(from: 0, to: examples.count, by: batchSize).map {
            try Self.batch(Array(examples[$0..<min(examples.count, $0 + batchSize)]), padding: padding)
        }
    }

    /// Right-padded rows of prompt + response; only response tokens are targets.
    static func batch(_ examples: [Example], padding: Int32) throws -> LanguageModelBatch {
        let length = examples.map { $0.prompt.count + $0.response.count - 1 }.max() ?? 1
        var rows: [[Int32]] = [], targets: [Int32] = []
        for e in examples {
            let sequence = e.prompt + e.response
            let input = Array(sequence.dropLast())
            rows.append(input + Array(repeating: padding, count: length - input.count))
            targets += (0..<length).map { t in t + 1 >= e.prompt.count && t + 1 < sequence.count ? sequence[t + 1] : -1 }
        }
        return LanguageModelBatch(input: try TokenBatch(rows: rows), targets: targets)
    }

    public var cursor: Cursor { Cursor(order: order, position: position, epoch: epoch, generator: generator) }

    public mutating func restore(_ cursor: Cursor) {
        order = cursor.order
        position = cursor.position
        epoch = cursor.epoch
        generator = cursor.generator
    }
}
