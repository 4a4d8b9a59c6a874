// Router-level tests of the streamed chat: the reply arrives as server-sent events, piece by
// piece, ending with the stored reply; the stop button ends only the asker's own answer, and
// what was written by then is stored.

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Feedback
import FeedbackTestSupport
@testable import FeedbackServer

private struct ChatBody: Encodable { var messages: [ChatMessage] }

/// One server-sent event: its name and its data line decoded as JSON.
private struct StreamEvent {
    var name: String
    var data: [String: Any]
}

/// The events of a `text/event-stream` body, in order.
private func events(_ response: TestResponse) throws -> [StreamEvent] {
    try String(buffer: response.body).components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { block in
        let lines = block.split(separator: "\n")
        guard lines.count == 2, lines[0].hasPrefix("event: "), lines[1].hasPrefix("data: ") else {
            throw HTTPError(.internalServerError, message: "not one event and one data line: \(block.debugDescription)")
        }
        let data = try JSONSerialization.jsonObject(with: Data(lines[1].dropFirst("data: ".count).utf8)) as? [String: Any]
        return StreamEvent(name: String(lines[0].dropFirst("event: ".count)), data: data ?? [:])
    }
}

/// A model that writes until it is stopped, telling `started` once it is under way.
private struct EndlessSource: CompletionSource {
    let started: AsyncStream<Void>.Continuation

    func completions(for prompt: String, count: Int) async throws -> [GeneratedCompletion] { [] }

    func reply(to conversation: [ChatMessage]) async throws -> GeneratedCompletion {
        try await reply(to: conversation) { _ in true }
    }

    func reply(to conversation: [ChatMessage], streaming receive: @escaping @Sendable (String) -> Bool) async throws -> GeneratedCompletion {
        var told = ""
        for index in 0..<100_000 {
            let piece = "word\(index) "
            told += piece
            if index == 2 { started.yield() }
            guard receive(piece) else { break }
            try await Task.sleep(for: .milliseconds(2))
        }
        return GeneratedCompletion(text: told, provenance: Provenance(model: "endless"))
    }
}

@Test(arguments: StoreBackend.all) func aStreamedReplyArrivesPieceByPieceAndIsStored(_ backend: StoreBackend) async throws {
    let fixture = try await ServerFixture(backend: backend, withTasks: false)
    try await fixture.application().test(.router) { client in
        let question = "What is <b>this</b> film\nabout?"
        let response = try await client.execute(
            uri: "/api/chat/stream", method: .post, headers: bearer(fixture.aliceToken, json: true),
            body: try jsonBody(ChatBody(messages: [ChatMessage(role: .user, content: question)])))
        #expect(response.status == .ok && response.headers[.contentType] == "text/event-stream; charset=utf-8")
        let stream = try events(response)
        let pieces = stream.dropLast().map { $0.data["text"] as? String ?? "" }
        #expect(stream.dropLast().allSatisfy { $0.name == "text" } && pieces.count == 6, "one event per word: \(pieces)")
        let done = try #require(stream.last)
        #expect(done.name == "done" && done.data["stopped"] as? Bool == false && done.data["model"] as? String == "echo-stand-in")
        #expect(pieces.joined() == "You said: \(question)" && done.data["text"] as? String == pieces.joined())
        // The stored reply is the asker's to rate.
        let id = try #require(done.data["completionID"] as? Int)
        #expect(try await client.execute(uri: "/api/chat/replies/\(id)/rating", method: .post, headers: bearer(fixture.aliceToken, json: true),
                                         body: ByteBuffer(string: #"{"isGood": true}"#)).status == .ok)

        let noUser = try await client.execute(uri: "/api/chat/stream", method: .post, headers: bearer(fixture.aliceToken, json: true),
                                              body: try jsonBody(ChatBody(messages: [ChatMessage(role: .assistant, content: "hi")])))
        #expect(noUser.status == .badRequest)
        // The body is decoded as the whole-answer route decodes it: a bad field is named.
        let malformed = try await client.execute(uri: "/api/chat/stream", method: .post, headers: bearer(fixture.aliceToken, json: true),
                                                 body: ByteBuffer(string: #"{"messages": "hi"}"#))
        #expect(malformed.status == .badRequest && errorMessage(malformed)?.contains("messages") == true, "\(String(buffer: malformed.body))")
    }
    try await fixture.application(source: nil).test(.router) { client in
        let response = try await client.execute(uri: "/api/chat/stream", method: .post, headers: bearer(fixture.aliceToken, json: true),
                                                body: try jsonBody(ChatBody(messages: [ChatMessage(role: .user, content: "hello")])))
        #expect(response.status == .serviceUnavailable)
    }
}

@Test(arguments: StoreBackend.all) func theStopButtonEndsOnlyTheAskersAnswerAndKeepsWhatWasWritten(_ backend: StoreBackend) async throws {
    let fixture = try await ServerFixture(backend: backend, withTasks: false)
    let (started, signal) = AsyncStream.makeStream(of: Void.self)
    try await fixture.application(source: EndlessSource(started: signal)).test(.router) { client in
        let answer = Task {
            try await client.execute(uri: "/api/chat/stream", method: .post, headers: bearer(fixture.aliceToken, json: true),
                                     body: try jsonBody(ChatBody(messages: [ChatMessage(role: .user, content: "Talk forever.")])))
        }
        for await _ in started { break }
        let stop = { (token: String) in
            try await client.execute(uri: "/api/chat/stop", method: .post, headers: bearer(token, json: true), body: ByteBuffer(string: "{}"))
        }
        let bobs = try await stop(fixture.bobToken)
        #expect(bobs.status == .ok && String(buffer: bobs.body) == #"{"stopped":0}"#, "bob has no answer running")
        #expect(String(buffer: try await stop(fixture.aliceToken).body) == #"{"stopped":1}"#)

        let stream = try events(try await answer.value)
        let done = try #require(stream.last)
        #expect(done.name == "done" && done.data["stopped"] as? Bool == true)
        let written = stream.dropLast().compactMap { $0.data["text"] as? String }.joined()
        #expect(written.hasPrefix("word0 word1 word2 ") && done.data["text"] as? String == written)
        let id = try #require(done.data["completionID"] as? Int)
        let stored = try await fixture.store.database.read { transaction in
            try await transaction.row("SELECT \(Completion.columns()) FROM completion WHERE id = ?", .int(id)).map(Completion.init(row:))
        }
        #expect(stored?.text == done.data["text"] as? String && stored?.requestedByAnnotatorID == fixture.aliceID)
        #expect(String(buffer: try await stop(fixture.aliceToken).body) == #"{"stopped":0}"#, "a finished answer has nothing left to stop")
    }
}

/// The whole-answer route hears the stop button too: it answers with what was written by then.
@Test func theStopButtonEndsAWholeAnswerBeingWritten() async throws {
    let fixture = try await ServerFixture(backend: .sqlite, withTasks: false)
    let (started, signal) = AsyncStream.makeStream(of: Void.self)
    try await fixture.application(source: EndlessSource(started: signal)).test(.router) { client in
        let answer = Task {
            try await client.execute(uri: "/api/chat", method: .post, headers: bearer(fixture.aliceToken, json: true),
                                     body: try jsonBody(ChatBody(messages: [ChatMessage(role: .user, content: "Talk forever.")])))
        }
        for await _ in started { break }
        let stopped = try await client.execute(uri: "/api/chat/stop", method: .post, headers: bearer(fixture.aliceToken, json: true), body: ByteBuffer(string: "{}"))
        #expect(String(buffer: stopped.body) == #"{"stopped":1}"#)
        let response = try await answer.value
        let reply = try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any])
        let text = try #require(reply["text"] as? String)
        #expect(response.status == .ok && text.hasPrefix("word0 word1 word2 ") && !text.contains("word99999"), "\(text.prefix(200))")
    }
}

/// One person cannot queue answer after answer on the one model: a third request while two are
/// being written is refused, another person's is not.
@Test func anAnnotatorHasAtMostTwoAnswersBeingWritten() async throws {
    let fixture = try await ServerFixture(backend: .sqlite, withTasks: false)
    let (started, signal) = AsyncStream.makeStream(of: Void.self)
    try await fixture.application(source: EndlessSource(started: signal)).test(.router) { client in
        let ask = { @Sendable (token: String) in
            try await client.execute(uri: "/api/chat/stream", method: .post, headers: bearer(token, json: true),
                                     body: try jsonBody(ChatBody(messages: [ChatMessage(role: .user, content: "Talk forever.")])))
        }
        let answers = [Task { try await ask(fixture.aliceToken) }, Task { try await ask(fixture.aliceToken) }]
        var running = 0
        for await _ in started {
            running += 1
            if running == 2 { break }
        }
        let third = try await ask(fixture.aliceToken)
        #expect(third.status == .tooManyRequests, "\(String(buffer: third.body))")
        let stop = { (token: String) in
            try await client.execute(uri: "/api/chat/stop", method: .post, headers: bearer(token, json: true), body: ByteBuffer(string: "{}"))
        }
        let bobs = Task { try await ask(fixture.bobToken) }
        for await _ in started { break }
        #expect(String(buffer: try await stop(fixture.bobToken).body) == #"{"stopped":1}"#)
        #expect(try await bobs.value.status == .ok)
        #expect(String(buffer: try await stop(fixture.aliceToken).body) == #"{"stopped":2}"#)
        for answer in answers { #expect(try await answer.value.status == .ok) }
    }
}

/// JavaScript reads U+2028 and U+2029 as line ends: raw in a `data:` line they would cut the
/// page's JSON short.
@Test func eventDataEscapesTheCharactersJavaScriptTakesForLineEnds() throws {
    let text = "one\u{2028}two\u{2029}three\nfour"
    let event = String(buffer: ChatController.event("text", ChatController.TextEvent(text: text)))
    #expect(!event.contains("\u{2028}") && !event.contains("\u{2029}"))
    let lines = event.split(separator: "\n", omittingEmptySubsequences: true)
    #expect(lines.count == 2 && lines[0] == "event: text")
    let data = try JSONSerialization.jsonObject(with: Data(lines[1].dropFirst("data: ".count).utf8)) as? [String: String]
    #expect(data?["text"] == text)
}
