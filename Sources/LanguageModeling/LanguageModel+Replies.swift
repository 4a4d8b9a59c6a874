// The assistant's next turn, read the same way by the chat that asks for it and by training that
// teaches it: a model with a chat template answers in it; a plain model continues a transcript
// of "User: …" / "Assistant: …" lines after "Assistant:", and its answer is that first line.
import Foundation

extension LanguageModel {
    /// A conversation as a plain model reads it, ending where the assistant's turn starts.
    public static func transcript(of messages: [ChatMessage]) -> String {
        let speaker = ["user": "User", "assistant": "Assistant", "system": "System"]
        return messages.map { "\(speaker[$0.role] ?? $0.role.capitalized): \($0.content)" }.joined(separator: "\n") + "\nAssistant:"
    }

    /// The prompt tokens of the assistant's next turn after `messages`.
    public func replyPrompt(_ messages: [ChatMessage]) throws -> [Int32] {
        if chatTemplate != nil { return try chatPrompt(messages) }
        let tokens = encode(Self.transcript(of: messages))
        return tokens.isEmpty ? [endOfText ?? 0] : tokens
    }

    /// The answer in generated text: trimmed, and for a plain model only up to its first line break.
    public func replyText(_ generated: String) -> String {
        guard chatTemplate == nil else { return generated.trimmingCharacters(in: .whitespacesAndNewlines) }
        return String(generated.drop { $0.isWhitespace }.prefix { $0 != "\n" }).trimmingCharacters(in: .whitespaces)
    }

    /// What the model should write after `replyPrompt` for `replyText` to read back `answer`:
    /// the answer itself in a chat template (the end of turn follows); for a plain model the
    /// transcript's line, " answer" and its line break, the answer's lines joined by spaces,
    /// since the chat reads a plain model's reply only up to its first line break.
    public func replyTarget(_ answer: String) -> String {
        guard chatTemplate == nil else { return answer }
        let lines = answer.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return " \(lines.joined(separator: " "))\n"
    }
}
