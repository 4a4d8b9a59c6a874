// Chat replies, their thumbs-up/down ratings and corrections, which become demonstrations.

import Foundation
import GRDB

extension FeedbackStore {
    /// The transcript text under which a conversation is stored as a prompt.
    package static func transcript(of conversation: [ChatMessage]) -> String {
        conversation.map { "\($0.role.rawValue): \($0.content)" }.joined(separator: "\n\n")
    }

    /// Stores a model's reply to a conversation, asked for by `annotatorID`.
    package func recordChatReply(to conversation: [ChatMessage], reply: NewCompletion, by annotatorID: Int64) async throws -> Completion {
        guard conversation.last?.role == .user else {
            throw FeedbackError.invalidField(name: "messages", reason: "the conversation must end with a user message")
        }
        for (index, message) in conversation.enumerated() {
            _ = try validatedText(message.content, field: "messages[\(index)].content", limit: JudgmentSubmission.textLimit, required: true)
        }
        return try await database.write { db in
            let prompt = try Self.findOrInsertPrompt(db, text: Self.transcript(of: conversation), messages: conversation)
            var completion = Completion(promptID: prompt.id!, text: reply.text, provenance: reply.provenance, requestedByAnnotatorID: annotatorID)
            try completion.insert(db)
            return completion
        }
    }

    /// Rates one of `annotatorID`'s own chat replies (again: replaces the earlier rating).
    package func rateChatReply(completionID: Int64, isGood: Bool, by annotatorID: Int64, now: Date = Date()) async throws -> AnswerRating {
        try await database.write { db in
            _ = try Self.ownChatReply(db, completionID: completionID, annotatorID: annotatorID)
            var rating = try AnswerRating.filter(Column("completionID") == completionID && Column("annotatorID") == annotatorID).fetchOne(db)
                ?? AnswerRating(completionID: completionID, annotatorID: annotatorID, isGood: isGood, createdAt: now)
            rating.isGood = isGood
            rating.createdAt = now
            try rating.save(db)
            return rating
        }
    }

    /// Stores `annotatorID`'s correction of one of their own chat replies as a demonstration.
    package func correctChatReply(completionID: Int64, correction: String, by annotatorID: Int64) async throws -> Demonstration {
        let text = try validatedText(correction, field: "correction", limit: JudgmentSubmission.textLimit, required: true)!
        return try await database.write { db in
            let reply = try Self.ownChatReply(db, completionID: completionID, annotatorID: annotatorID)
            var demonstration = Demonstration(
                promptID: reply.promptID, annotatorID: annotatorID, text: text,
                correctsCompletionID: completionID, origin: .chat, createdAt: Date()
            )
            try demonstration.insert(db)
            return demonstration
        }
    }

    private static func ownChatReply(_ db: Database, completionID: Int64, annotatorID: Int64) throws -> Completion {
        guard let completion = try Completion.fetchOne(db, key: completionID), completion.requestedByAnnotatorID == annotatorID else {
            throw FeedbackError.completionNotFound(completionID)
        }
        return completion
    }
}
