// The prompt tokens a training example's answer follows, shared by SFT and DPO so that both read
// a conversation alike, and refuse alike what a model cannot read, naming the example's line.
import LanguageModeling

/// The file and line a training example was read from.
public struct DataLocation: Sendable, Hashable, CustomStringConvertible {
    public var path: String
    /// 1-based.
    public var line: Int

    public init(path: String, line: Int) {
        self.path = path
        self.line = line
    }

    public var description: String { "\(path):\(line)" }
}

extension DataError {
    /// An example that cannot be trained on, named by its file and line when it was read from
    /// one, else by its 1-based place among the examples given.
    package static func unusable(at location: DataLocation?, number: Int, reason: String) -> DataError {
        location.map { .malformedLine(path: $0.path, line: $0.line, reason: reason) } ?? .unusableExample(number: number, reason: reason)
    }
}

extension LanguageModel {
    /// The tokens before an example's answer. A model with a chat template (when `readsChat`)
    /// reads the conversation in it. Otherwise the prompt is plain text, and an empty prompt is
    /// the end-of-text token, after which the answer is text begun unprompted, as GPT-2 was
    /// trained to begin a document.
    ///
    /// Refused, naming `location` (or the example's `number`): turns before the prompt when
    /// there is no template to lay them out (training on the last turn alone would teach the
    /// answer to another conversation), and an empty prompt when the model has no end-of-text token.
    package func examplePrompt(
        _ prompt: String, context: [ChatMessage], readsChat: Bool = true, location: DataLocation?, number: Int
    ) throws -> [Int32] {
        if readsChat, chatTemplate != nil { return try chatPrompt(context + [ChatMessage(role: "user", content: prompt)]) }
        guard context.isEmpty else {
            throw DataError.unusable(at: location, number: number, reason: unreadableContext(context, readsChat: readsChat))
        }
        let tokens = encode(prompt)
        if !tokens.isEmpty { return tokens }
        guard let endOfText else {
            throw DataError.unusable(
                at: location, number: number,
                reason: "the prompt is empty, and the model has no end-of-text token to begin an unprompted answer after")
        }
        return [endOfText]
    }

    private func unreadableContext(_ context: [ChatMessage], readsChat: Bool) -> String {
        let turns = [
            context.contains { $0.role == "system" } ? "a system message" : nil,
            context.contains { $0.role != "system" } ? "earlier turns" : nil,
        ].compactMap { $0 }.joined(separator: " and ")
        let why: String
        if !readsChat {
            why = "prompts are read here as plain text"
        } else if hasUnrenderedChatTemplate {
            why = "the model's chat template is not ChatML, the one template this engine renders"
        } else {
            why = "the model has no chat template to lay them out in"
        }
        return "the conversation has \(turns) before the prompt, and \(why): training on the last user turn alone would teach "
            + "this answer to another conversation (give the whole prompt as one text in \"prompt\", or use a model with a chat template)"
    }
}
