// The chat's answer as it is written: server-sent events over a streaming response body, one
// `text` event per new piece, then `done` with the stored reply (or `error`). The stop button
// raises the asker's running answers' flags; the answer ends at the next token and what was
// written is stored, so it can still be rated and corrected. Event data is JSON, so model text
// never breaks the event framing, and the page inserts it as text, never as markup.

import Feedback
import Foundation
import Hummingbird

extension ChatController {
    /// One piece of the answer.
    struct TextEvent: Encodable {
        var text: String
    }

    /// The stored reply at the end of the stream.
    struct DoneEvent: Encodable {
        var completionID: Int64
        var text: String
        var model: String
        /// Whether the stop button ended the answer early.
        var stopped: Bool
    }

    /// Why the answer failed.
    struct ErrorEvent: Encodable {
        var message: String
    }

    /// What POST /api/chat/stop stopped.
    struct Stopped: ResponseEncodable {
        var stopped: Int
    }

    /// POST /api/chat/stream: the body of POST /api/chat, the reply as `text/event-stream`.
    @Sendable func stream(_ request: Request, context: SignedInContext) async throws -> Response {
        let (source, messages) = try await conversation(request, context: context)
        let annotatorID = context.annotatorID, store = store, stops = stops
        let body = ResponseBody { writer in
            let stop = stops.start(for: annotatorID)
            defer { stops.finish(stop, for: annotatorID) }
            let (pieces, continuation) = AsyncStream.makeStream(of: String.self)
            let answering = Task {
                defer { continuation.finish() }
                return try await source.reply(to: messages) { piece in
                    continuation.yield(piece)
                    return !stop.isStopped
                }
            }
            var listening = true
            for await piece in pieces where listening {
                do {
                    try await writer.write(Self.event("text", TextEvent(text: piece)))
                } catch {
                    // The page is gone: stop writing, and let the answer end.
                    listening = false
                    stop.stop()
                }
            }
            let last: ByteBuffer
            do {
                let stored = try await store.recordChatReply(to: messages, reply: try await answering.value, by: annotatorID)
                last = Self.event("done", DoneEvent(completionID: stored.id!, text: stored.text, model: stored.model, stopped: stop.isStopped))
            } catch let error as FeedbackError {
                last = Self.event("error", ErrorEvent(message: error.description))
            } catch {
                last = Self.event("error", ErrorEvent(message: "the model could not answer"))
            }
            if listening { try await writer.write(last) }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store"], body: body)
    }

    /// POST /api/chat/stop: ends the asker's answers being written now.
    @Sendable func stopAnswers(_ request: Request, context: SignedInContext) async throws -> Stopped {
        Stopped(stopped: stops.stopAll(for: context.annotatorID))
    }

    /// One server-sent event: its name and a single `data:` line of JSON. JSONEncoder leaves
    /// U+2028 and U+2029 raw, and the page's JavaScript reads them as line ends, which would cut
    /// the line short of its JSON: they are escaped.
    static func event(_ name: String, _ value: some Encodable) -> ByteBuffer {
        let json = (try? JSONEncoder().encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        let escaped = json.replacingOccurrences(of: "\u{2028}", with: "\\u2028").replacingOccurrences(of: "\u{2029}", with: "\\u2029")
        return ByteBuffer(string: "event: \(name)\ndata: \(escaped)\n\n")
    }
}
