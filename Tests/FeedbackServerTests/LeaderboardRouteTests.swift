// Router-level tests of the leaderboard page and its JSON.

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Feedback
import FeedbackTestSupport
@testable import FeedbackServer
@testable import Ratings

private struct LeaderboardJSON: Decodable { var leaderboard: FeedbackLeaderboard }

@Test(arguments: StoreBackend.all) func leaderboardShowsRatingsAgreementAndCounts(_ backend: StoreBackend) async throws {
    let fixture = try await ServerFixture(backend: backend)
    let pair = fixture.tasks[0]
    let (good, bad) = (pair.completions[0].id!, pair.completions[1].id!)
    try await fixture.store.submit(.choice(task: pair.task.id!, preferred: good, over: bad), by: fixture.aliceID)
    try await fixture.store.submit(.choice(task: pair.task.id!, preferred: good, over: bad), by: fixture.bobID)
    let trio = fixture.tasks[1]
    try await fixture.store.submit(.ranking(task: trio.task.id!, bestFirst: trio.completions.map { $0.id! }), by: fixture.aliceID)
    try await fixture.application().test(.router) { client in
        let json = try await client.execute(uri: "/api/leaderboard", method: .get, headers: bearer(fixture.bobToken))
        let board = try decoded(LeaderboardJSON.self, json).leaderboard
        #expect(board.judgments == 3 && board.models.battleCount == 5 && board.bootstrapRounds == 20)
        #expect(board.models.standings.map(\.model) == ["policy-a", "policy-b", "policy-c"])
        let a = board.models.standings[0]
        #expect(a.battles == 4 && a.wins == 4 && a.losses == 0 && board.models.isRegularized)
        #expect(board.agreementUnits == 1 && board.agreement == nil)  // both agree, and nothing varies
        #expect(board.annotators.first { $0.name == "alice" }?.judgments == 2)
        #expect(!String(buffer: json.body).contains("role"), "an annotator is not told who administers the store")

        let page = try await client.execute(uri: "/leaderboard", method: .get, headers: [.cookie: try await signIn(client, token: fixture.bobToken)])
        let html = String(buffer: page.body)
        #expect(page.status == .ok)
        #expect(html.contains("<td>policy-a</td>") && html.contains(#"<td class="battles">4</td>"#))
        #expect(html.contains(#"<tr data-annotator="alice"><td>alice</td><td class="judgments">2</td>"#))
        #expect(html.contains("5 battles between models from 3 judgments"))
        #expect(html.contains("never lost or never won"))
    }
}

/// Page views reuse the last fit until a judgment changes; a new judgment shows at once.
@Test func leaderboardIsRefittedOnlyWhenTheJudgmentsChange() async throws {
    let fixture = try await ServerFixture(backend: .sqlite)
    let store = fixture.store, cache = ModelLeaderboardCache()
    let pair = fixture.tasks[0]
    let (good, bad) = (pair.completions[0].id!, pair.completions[1].id!)
    try await store.submit(.choice(task: pair.task.id!, preferred: good, over: bad), by: fixture.aliceID)
    let first = try await store.leaderboard(bootstrapRounds: 20, cache: cache)
    #expect(try await store.leaderboard(bootstrapRounds: 20, cache: cache) == first)
    #expect(await cache.fits == 1)
    try await store.submit(.choice(task: pair.task.id!, preferred: bad, over: good), by: fixture.bobID)
    let second = try await store.leaderboard(bootstrapRounds: 20, cache: cache)
    #expect(await cache.fits == 2 && second.models.battleCount == 2)
    #expect(second == (try await store.leaderboard(bootstrapRounds: 20)), "the cached board is the uncached one")
    _ = try await store.leaderboard(bootstrapRounds: 21, cache: cache)
    #expect(await cache.fits == 3, "other settings are another fit")
}
