// The chat page and API: talk with the model (the whole reply at once, or streamed: see
// ChatController+Streaming), rate a reply, correct it into a demonstration.

import Feedback
import Hummingbird

/// Routes for chatting with the model; replies, ratings and corrections belong to whoever asked.
struct ChatController {
    let store: FeedbackStore
    let pages: PageRenderer
    let source: (any CompletionSource)?
    /// The flags of the answers being streamed, for the stop button.
    let stops = AnswerStops()

    /// The body of POST /api/chat: the whole conversation so far, ending with the user's message.
    struct ChatRequest: Decodable {
        var messages: [ChatMessage]
    }

    /// The model's reply, stored as a completion the asker may rate or correct.
    struct ChatReply: ResponseEncodable {
        var completionID: Int64
        var text: String
        var model: String
    }

    /// The body of POST /api/chat/replies/:completionID/rating.
    struct RatingRequest: Decodable {
        var isGood: Bool
    }

    /// The body of POST /api/chat/replies/:completionID/correction.
    struct CorrectionRequest: Decodable {
        var text: String
    }

    /// What a rating or correction stored.
    struct Saved: ResponseEncodable {
        var id: Int64
    }

    func addRoutes(pages pageGroup: RouterGroup<SignedInContext>, api: RouterGroup<SignedInContext>) {
        pageGroup.get("chat") { _, context in
            pages.page("chat", title: "Chat", annotator: context.annotator, csrfToken: context.csrfToken, values: ["hasModel": source != nil])
        }
        api.post("chat", use: chat)
        api.post("chat/stream", use: stream)
        api.post("chat/stop", use: stopAnswers)
        api.post("chat/replies/:completionID/rating") { request, context in
            let body = try await RequestBodies.json(RatingRequest.self, from: request, context: context)
            let id = try context.parameters.require("completionID", as: Int64.self)
            return Saved(id: try await store.rateChatReply(completionID: id, isGood: body.isGood, by: context.annotatorID).id!)
        }
        api.post("chat/replies/:completionID/correction") { request, context in
            let body = try await RequestBodies.json(CorrectionRequest.self, from: request, context: context)
            let id = try context.parameters.require("completionID", as: Int64.self)
            return Saved(id: try await store.correctChatReply(completionID: id, correction: body.text, by: context.annotatorID).id!)
        }
    }

    static let answersPerAnnotator = 2

    @Sendable func chat(_ request: Request, context: SignedInContext) async throws -> ChatReply {
        let (source, messages) = try await conversation(request, context: context)
        let stop = stops.start(for: context.annotatorID)
        defer { stops.finish(stop, for: context.annotatorID) }
        // Told piece by piece only to hear the stop button: POST /api/chat/stop ends this answer too.
        let reply = try await source.reply(to: messages) { _ in !stop.isStopped }
        let stored = try await store.recordChatReply(to: messages, reply: reply, by: context.annotatorID)
        return ChatReply(completionID: stored.id!, text: stored.text, model: stored.model)
    }

    /// The model and the conversation a chat request asks it to continue, checked alike for the
    /// whole and the streamed answer.
    func conversation(_ request: Request, context: SignedInContext) async throws -> (source: any CompletionSource, messages: [ChatMessage]) {
        guard let source else {
            throw HTTPError(.serviceUnavailable, message: "no model is loaded: start the server with --model DIR")
        }
        // The model answers one request at a time: one person asking many at once would keep
        // everyone else waiting. Two leave room for a stopped answer still writing its last token.
        guard stops.count(for: context.annotatorID) < Self.answersPerAnnotator else {
            throw HTTPError(.tooManyRequests, message: "you already have an answer being written; wait for it or stop it")
        }
        let body = try await RequestBodies.json(ChatRequest.self, from: request, context: context)
        try FeedbackStore.checkConversation(body.messages)
        return (source, body.messages)
    }
}
