// Router-level tests of the chat page and API: replies, ratings and corrections, scoped to the asker.

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Feedback
import FeedbackTestSupport
@testable import FeedbackServer

private struct ChatBody: Encodable { var messages: [ChatMessage] }
private struct ReplyJSON: Decodable { var completionID: Int64; var text: String; var model: String }

@Test(arguments: StoreBackend.all) func chatRepliesAreStoredAndOnlyTheAskerRatesOrCorrectsThem(_ backend: StoreBackend) async throws {
    let fixture = try await ServerFixture(backend: backend, withTasks: false)
    try await fixture.application().test(.router) { client in
        let page = try await client.execute(uri: "/chat", method: .get, headers: [.cookie: try await signIn(client, token: fixture.aliceToken)])
        #expect(page.status == .ok && String(buffer: page.body).contains(#"id="chat-form""#))
        #expect(!String(buffer: page.body).contains(#"id="no-model""#))

        let conversation = [ChatMessage(role: .user, content: "What is <b>this</b> film about?")]
        let response = try await client.execute(uri: "/api/chat", method: .post, headers: bearer(fixture.aliceToken, json: true),
                                                body: try jsonBody(ChatBody(messages: conversation)))
        let reply = try decoded(ReplyJSON.self, response)
        #expect(reply.text == "You said: What is <b>this</b> film about?" && reply.model == "echo-stand-in")

        let rating = "/api/chat/replies/\(reply.completionID)/rating"
        let correction = "/api/chat/replies/\(reply.completionID)/correction"
        #expect(try await client.execute(uri: rating, method: .post, headers: bearer(fixture.aliceToken, json: true),
                                         body: ByteBuffer(string: #"{"isGood": false}"#)).status == .ok)
        #expect(try await client.execute(uri: correction, method: .post, headers: bearer(fixture.aliceToken, json: true),
                                         body: ByteBuffer(string: #"{"text": "It is a heist comedy."}"#)).status == .ok)
        #expect(try await fixture.store.demonstrationExamples().map(\.completion) == ["It is a heist comedy."])

        #expect(try await client.execute(uri: rating, method: .post, headers: bearer(fixture.bobToken, json: true),
                                         body: ByteBuffer(string: #"{"isGood": true}"#)).status == .notFound)
        #expect(try await client.execute(uri: correction, method: .post, headers: bearer(fixture.bobToken, json: true),
                                         body: ByteBuffer(string: #"{"text": "vandalism"}"#)).status == .notFound)
        let blank = try await client.execute(uri: correction, method: .post, headers: bearer(fixture.aliceToken, json: true),
                                             body: ByteBuffer(string: #"{"text": "  "}"#))
        #expect(blank.status == .badRequest && errorMessage(blank) == "field 'correction': must not be empty")
        let noUser = try await client.execute(uri: "/api/chat", method: .post, headers: bearer(fixture.aliceToken, json: true),
                                              body: try jsonBody(ChatBody(messages: [ChatMessage(role: .assistant, content: "hi")])))
        #expect(noUser.status == .badRequest)
    }
}

@Test func withoutAModelChatSaysSo() async throws {
    let fixture = try await ServerFixture(withTasks: false)
    try await fixture.application(source: nil).test(.router) { client in
        let page = try await client.execute(uri: "/chat", method: .get, headers: [.cookie: try await signIn(client, token: fixture.aliceToken)])
        #expect(String(buffer: page.body).contains(#"id="no-model""#))
        let response = try await client.execute(uri: "/api/chat", method: .post, headers: bearer(fixture.aliceToken, json: true),
                                                body: try jsonBody(ChatBody(messages: [ChatMessage(role: .user, content: "hello")])))
        #expect(response.status == .serviceUnavailable && errorMessage(response)?.contains("--model") == true)
    }
}

/// A model that counts the replies it was asked for.
private final class CountingSource: CompletionSource, @unchecked Sendable {
    private let lock = NSLock()
    private var asked = 0
    var replies: Int { lock.withLock { asked } }

    func completions(for prompt: String, count: Int) async throws -> [GeneratedCompletion] { [] }

    func reply(to conversation: [ChatMessage]) async throws -> GeneratedCompletion {
        lock.withLock { asked += 1 }
        return GeneratedCompletion(text: "an answer", provenance: Provenance(model: "counting"))
    }
}

/// A conversation the store would refuse is refused before the model spends a reply on it.
@Test func aConversationTheStoreRefusesNeverReachesTheModel() async throws {
    let fixture = try await ServerFixture(withTasks: false)
    let source = CountingSource()
    try await fixture.application(source: source).test(.router) { client in
        let long = String(repeating: "a", count: FeedbackStore.promptLimit / 10)
        let refused: [(messages: [ChatMessage], error: String)] = [
            ([ChatMessage(role: .user, content: "   ")], "field 'messages[0].content': must not be empty"),
            ([ChatMessage(role: .user, content: "hi"), ChatMessage(role: .assistant, content: " "), ChatMessage(role: .user, content: "and?")],
             "field 'messages[1].content': must not be empty"),
            ([ChatMessage(role: .user, content: "hi"), ChatMessage(role: .assistant, content: "hello")], "field 'messages': the conversation must end"),
            (Array(repeating: ChatMessage(role: .user, content: long), count: 12), "field 'messages'"),
        ]
        for (messages, error) in refused {
            for route in ["/api/chat", "/api/chat/stream"] {
                let response = try await client.execute(uri: route, method: .post, headers: bearer(fixture.aliceToken, json: true),
                                                        body: try jsonBody(ChatBody(messages: messages)))
                #expect(response.status == .badRequest && errorMessage(response)?.hasPrefix(error) == true, "\(route): \(errorMessage(response) ?? "")")
            }
        }
        #expect(source.replies == 0)
        let fine = try await client.execute(uri: "/api/chat", method: .post, headers: bearer(fixture.aliceToken, json: true),
                                            body: try jsonBody(ChatBody(messages: [ChatMessage(role: .user, content: "hello")])))
        #expect(fine.status == .ok && source.replies == 1)
    }
}
