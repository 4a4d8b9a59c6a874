// The server over real TCP: a browser-like client signs in, judges, and reads the leaderboard.

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Feedback
import FeedbackTestSupport
@testable import FeedbackServer

private struct Board: Decodable {
    struct Inner: Decodable { var judgments: Int; var annotators: [AnnotatorActivity] }
    var leaderboard: Inner
}

@Test(arguments: StoreBackend.all) func theLiveServerServesAWholeLabelingRound(_ backend: StoreBackend) async throws {
    let fixture = try await ServerFixture(backend: backend)
    try await fixture.application().test(.live) { client in
        #expect(client.port != nil)
        let cookie = try await signIn(client, token: fixture.bobToken)
        let page = try await client.execute(uri: "/label", method: .get, headers: [.cookie: cookie])
        #expect(page.status == .ok && String(buffer: page.body).contains(#"<span id="whoami">bob</span>"#))
        let task = try decoded(TaskJSON.self, try await client.execute(uri: "/api/tasks/next", method: .get, headers: [.cookie: cookie]))
        let body = JudgmentBody(tiers: [task.completions.map(\.id)], bothBad: true, reason: "neither works")
        let saved = try await client.execute(uri: "/api/tasks/\(task.taskID)/judgment", method: .put,
                                             headers: pageJSON(cookie), body: try jsonBody(body))
        #expect(saved.status == .ok)
        #expect(try decoded(JudgmentJSON.self, saved).bothBad)
        let board = try decoded(Board.self, try await client.execute(uri: "/api/leaderboard", method: .get, headers: [.cookie: cookie]))
        #expect(board.leaderboard.judgments == 1)
        #expect(board.leaderboard.annotators.first { $0.name == "bob" }?.bothBad == 1)
    }
    #expect(try await fixture.store.counts().judgments == 1)
}

@Test func theServerListensOnLoopbackUnlessToldOtherwise() throws {
    let store = try FeedbackStore.inMemory()
    let app = try buildApplication(configuration: FeedbackServerConfiguration(), store: store, source: nil)
    #expect(app.configuration.address == .hostname("127.0.0.1", port: 8080))
    let open = try buildApplication(configuration: FeedbackServerConfiguration(host: "0.0.0.0", port: 9000), store: store, source: nil)
    #expect(open.configuration.address == .hostname("0.0.0.0", port: 9000))
}
