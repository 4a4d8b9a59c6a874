// Chat replies, their thumbs-up/down ratings and corrections, which become demonstrations.

import Foundation

extension FeedbackStore {
    /// The transcript text under which a conversation is stored as a prompt.
    package static func transcript(of conversation: [ChatMessage]) -> String {
        conversation.map { "\($0.role.rawValue): \($0.content)" }.joined(separator: "\n\n")
    }

    /// Checks a conversation as `recordChatReply` stores it: it ends with a user message, every
    /// message is non-empty and within the text limit, and the transcript within a prompt's. The
    /// server checks before the model answers, so a request the store would refuse costs no
    /// generation.
    package static func checkConversation(_ conversation: [ChatMessage]) throws {
        guard conversation.last?.role == .user else {
            throw FeedbackError.invalidField(name: "messages", reason: "the conversation must end with a user message")
        }
        for (index, message) in conversation.enumerated() {
            _ = try validatedText(message.content, field: "messages[\(index)].content", limit: JudgmentSubmission.textLimit, required: true)
        }
        _ = try validatedText(transcript(of: conversation), field: "messages", limit: promptLimit, required: true)
    }

    /// Stores a model's reply to a conversation, asked for by `annotatorID`.
    package func recordChatReply(to conversation: [ChatMessage], reply: NewCompletion, by annotatorID: Int64) async throws -> Completion {
        try Self.checkConversation(conversation)
        return try await database.write { transaction in
            let prompt = try await Self.findOrInsertPrompt(transaction, text: Self.transcript(of: conversation), messages: conversation)
            return try await Self.insertCompletion(transaction, promptID: prompt.id!, reply, requestedBy: annotatorID)
        }
    }

    /// Rates one of `annotatorID`'s own chat replies (again: replaces the earlier rating).
    package func rateChatReply(completionID: Int64, isGood: Bool, by annotatorID: Int64, now: Date = Date()) async throws -> AnswerRating {
        try await database.write { transaction in
            _ = try await Self.ownChatReply(transaction, completionID: completionID, annotatorID: annotatorID)
            return try AnswerRating(row: try await transaction.inserted("""
                INSERT INTO answerRating (completionID, annotatorID, isGood, createdAt) VALUES (?, ?, ?, ?)
                ON CONFLICT (completionID, annotatorID) DO UPDATE SET isGood = excluded.isGood, createdAt = excluded.createdAt
                RETURNING \(AnswerRating.columns())
                """, .integer(completionID), .integer(annotatorID), .bool(isGood), .date(now)))
        }
    }

    /// Stores `annotatorID`'s correction of one of their own chat replies as a demonstration.
    package func correctChatReply(completionID: Int64, correction: String, by annotatorID: Int64) async throws -> Demonstration {
        let text = try validatedText(correction, field: "correction", limit: JudgmentSubmission.textLimit, required: true)!
        return try await database.write { transaction in
            let reply = try await Self.ownChatReply(transaction, completionID: completionID, annotatorID: annotatorID)
            return try await Demonstration.insert(
                transaction, promptID: reply.promptID, annotatorID: annotatorID, text: text,
                correctsCompletionID: completionID, origin: .chat, now: Date())
        }
    }

    private static func ownChatReply(_ transaction: any SQLTransaction, completionID: Int64, annotatorID: Int64) async throws -> Completion {
        guard let row = try await transaction.row("SELECT \(Completion.columns()) FROM completion WHERE id = ?", .integer(completionID)),
              case let completion = try Completion(row: row), completion.requestedByAnnotatorID == annotatorID
        else { throw FeedbackError.completionNotFound(completionID) }
        return completion
    }
}
