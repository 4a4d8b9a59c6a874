// Supervised fine-tuning data: demonstrations from JSONL (TRL's prompt/completion and
// conversational formats), trained with the loss on the answer tokens only, in shuffled epochs.
import Foundation
import LanguageModelData
import LanguageModeling
import Transformer

/// One demonstration: the conversation so far, ending with the user's turn, and the answer.
public struct Demonstration: Codable, Sendable, Equatable {
    /// The last user turn (for a model without a chat template, the whole prompt text).
    public var prompt: String
    public var response: String
    /// Turns before the prompt (a system message, earlier exchanges); empty for a plain prompt.
    public var context: [ChatMessage]
    /// Where it was read, for errors found when it is tokenized; not part of its value (neither
    /// compared nor written).
    public var location: DataLocation?

    public init(prompt: String, response: String, context: [ChatMessage] = [], location: DataLocation? = nil) {
        self.prompt = prompt
        self.response = response
        self.context = context
        self.location = location
    }

    public static func == (lhs: Demonstration, rhs: Demonstration) -> Bool {
        lhs.prompt == rhs.prompt && lhs.response == rhs.response && lhs.context == rhs.context
    }

    /// The conversation up to the answer.
    public var messages: [ChatMessage] { context + [ChatMessage(role: "user", content: prompt)] }

    enum CodingKeys: String, CodingKey { case prompt, response, context }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        prompt = try container.decode(String.self, forKey: .prompt)
        response = try container.decode(String.self, forKey: .response)
        context = try container.decodeIfPresent([ChatMessage].self, forKey: .context) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(prompt, forKey: .prompt)
        try container.encode(response, forKey: .response)
        if !context.isEmpty { try container.encode(context, forKey: .context) }
    }
}

public enum DataError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case malformedLine(path: String, line: Int, reason: String)
    case empty(path: String)
    /// An example given in memory, not read from a file, that cannot be trained on; `number` is 1-based.
    case unusableExample(number: Int, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "\(path): cannot be read (\(reason))"
        case let .malformedLine(path, line, reason): return "\(path):\(line): \(reason)"
        case let .empty(path): return "\(path): holds only blank lines"
        case let .unusableExample(number, reason): return "example \(number): \(reason)"
        }
    }
}

public enum DemonstrationFile {
    /// Reads one JSON object per line, in any of: `{"prompt": text, "completion": text}` (TRL's
    /// prompt-completion; `"response"` is accepted for `"completion"`), the conversational
    /// `{"prompt": [messages], "completion": [one assistant message]}`, `{"messages": [messages]}`
    /// whose last message is the assistant's answer, and `{"messages": [messages ending with the
    /// user's turn], "completion": text}` (as `rlhf tasks export --format demonstrations` writes a
    /// chat correction: the conversation, then the answer). Blank lines are skipped; any bad line
    /// fails the whole read, naming the line and the field.
    public static func read(_ url: URL) throws -> [Demonstration] {
        try JSONObjectLines.read(url) { (object, location) throws(JSONLineError) in
            var demonstration = try demonstration(object)
            demonstration.location = location
            return demonstration
        }
    }

    private static func demonstration(_ object: [String: Any]) throws(JSONLineError) -> Demonstration {
        let completion = object["completion"] ?? object["response"]
        if let messages = object["messages"] {
            var turns = try JSONObjectLines.messages(messages, field: "messages")
            if turns.last?.role == "assistant" {
                guard completion == nil else {
                    throw JSONLineError("field \"messages\" ends with the assistant's answer, so there must be no \"completion\" beside it")
                }
                let answer = turns.removeLast()
                return try split(turns, answer: answer.content, field: "messages")
            }
            guard turns.last?.role == "user", let completion else {
                throw JSONLineError("field \"messages\" must end with the assistant's answer, or with the user's turn and the answer in \"completion\"")
            }
            return try split(turns, answer: answer(completion), field: "messages")
        }
        if let prompt = object["prompt"] as? String {
            guard let response = completion as? String else {
                throw JSONLineError("field \"completion\" is missing or not a string")
            }
            return Demonstration(prompt: prompt, response: response)
        }
        guard let prompt = object["prompt"] else { throw JSONLineError("field \"prompt\" (or \"messages\") is missing") }
        let turns = try JSONObjectLines.messages(prompt, field: "prompt")
        guard let completion else { throw JSONLineError("field \"completion\" is missing") }
        return try split(turns, answer: answer(completion), field: "prompt")
    }

    /// The answer after a conversation: text, or one assistant message.
    private static func answer(_ completion: Any) throws(JSONLineError) -> String {
        if let text = completion as? String { return text }
        let answer = try JSONObjectLines.messages(completion, field: "completion")
        guard answer.count == 1, answer[0].role == "assistant" else {
            throw JSONLineError("field \"completion\" must be one assistant message")
        }
        return answer[0].content
    }

    private static func split(_ turns: [ChatMessage], answer: String, field: String) throws(JSONLineError) -> Demonstration {
        let (prompt, context) = try JSONObjectLines.lastUserTurn(of: turns, field: field)
        return Demonstration(prompt: prompt, response: answer, context: context)
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
    private var epochs: ShuffledEpochs

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
        epochs = ShuffledEpochs(count: training.count, seed: seed)
    }

    public var epochsCompleted: Int { epochs.epochsCompleted }

    public mutating func nextBatch(size batchSize: Int) throws -> LanguageModelBatch {
        try Self.batch(epochs.next(batchSize).map { training[$0] }, padding: padding)
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

    public var cursor: ShuffledEpochs { epochs }

    public mutating func restore(_ cursor: ShuffledEpochs) throws {
        try cursor.check(count: training.count)
        epochs = cursor
    }
}
