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
