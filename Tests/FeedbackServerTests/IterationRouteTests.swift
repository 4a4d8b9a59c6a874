// Router-level tests of the iterate panel on the admin page: only administrators start a round
// (by form with the page's CSRF token, or by the API), one round runs at a time, and what the
// loop reports is shown escaped. The loop is a recording double of `IterationControl`; the real
// one, with a model, is exercised end to end in CommandLineTests.

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Feedback
import FeedbackTestSupport
@testable import FeedbackServer

/// Counts starts and reports a running round after the first, as the real loop does.
private actor RecordingIteration: IterationControl {
    private(set) var starts = 0
    let finished = [IterationStatus.Round(round: 1, judgeScore: 0.25, labels: 12, rewardAccuracy: 0.7, seconds: 30)]
    let arena = [IterationStatus.Entrant(model: ServerFixture.hostileText, rating: 1010, lower: 990, upper: 1030)]

    func status() async throws -> IterationStatus {
        IterationStatus(
            isRunning: starts > 0, state: starts > 0 ? "Round 2 is running: waiting for <b>labels</b>" : "No round has run in this server yet.",
            rounds: finished, arena: arena)
    }

    func startRound() async throws -> IterationStatus {
        guard starts == 0 else { throw IterationControlError.roundRunning(2) }
        starts += 1
        return try await status()
    }
}

private struct StatusJSON: Decodable { var isRunning: Bool; var state: String; var rounds: [IterationStatus.Round] }

@Test(arguments: StoreBackend.all) func onlyAdminsStartIterateRounds(_ backend: StoreBackend) async throws {
    let fixture = try await ServerFixture(backend: backend, withTasks: false)
    let iteration = RecordingIteration()
    try await fixture.application(iteration: iteration).test(.router) { client in
        let alice = try await signIn(client, token: fixture.aliceToken)
        #expect(try await client.execute(uri: "/admin/iterate/start", method: .post, headers: pageForm(alice)).status == .forbidden)
        #expect(try await client.execute(uri: "/api/admin/iterate/rounds", method: .post, headers: bearer(fixture.aliceToken)).status == .forbidden)
        #expect(try await client.execute(uri: "/api/admin/iterate", method: .get, headers: bearer(fixture.bobToken)).status == .forbidden)
        #expect(try await iteration.starts == 0, "no annotator's request started a round")

        let admin = try await signIn(client, token: fixture.adminToken)
        let idle = String(buffer: try await client.execute(uri: "/admin", method: .get, headers: [.cookie: admin]).body)
        #expect(idle.contains(#"<button type="submit" id="start-round">Start round 2</button>"#), "\(idle)")
        #expect(idle.contains(#"<tr data-round="1"><td>1</td><td>0.250</td><td>12</td><td>70.0%</td><td>30</td></tr>"#))
        #expect(!idle.contains("<script>window.__pwned") && idle.contains("&lt;script&gt;"), "arena names are escaped")
        #expect(idle.contains(#"<p id="iterate-state" class="notice" role="status">"#), "an idle panel is not polled")

        let forged = try await client.execute(
            uri: "/admin/iterate/start", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .cookie: admin])
        #expect(forged.status == .forbidden, "a form post without the page's CSRF token starts nothing")
        #expect(try await iteration.starts == 0)

        let started = try await client.execute(uri: "/admin/iterate/start", method: .post, headers: pageForm(admin))
        let page = String(buffer: started.body)
        #expect(started.status == .ok && page.contains("Round 2 started"), "\(page)")
        #expect(page.contains("waiting for &lt;b&gt;labels&lt;/b&gt;") && !page.contains(#"id="start-round""#), "a running round hides the button")
        #expect(page.contains(#"<p id="iterate-state" class="notice" role="status" data-running>"#), "the page script polls a running round")
        #expect(try await iteration.starts == 1)
        #expect(try await fixture.store.adminAudit().contains { $0.action == "start iterate round" && $0.target == "round 2" })

        let again = try await client.execute(uri: "/api/admin/iterate/rounds", method: .post, headers: bearer(fixture.adminToken))
        #expect(again.status == .conflict && errorMessage(again)?.contains("round 2 is still running") == true)
        let status = try decoded(StatusJSON.self, try await client.execute(uri: "/api/admin/iterate", method: .get, headers: bearer(fixture.adminToken)))
        #expect(status.isRunning && status.rounds.map(\.round) == [1])
    }
}

@Test func aServerWithoutTheLoopSaysHowToStartOne() async throws {
    let fixture = try await ServerFixture(withTasks: false)
    try await fixture.application().test(.router) { client in
        let response = try await client.execute(uri: "/api/admin/iterate/rounds", method: .post, headers: bearer(fixture.adminToken))
        #expect(response.status == .serviceUnavailable && errorMessage(response)?.contains("--iterate") == true)
        let admin = try await signIn(client, token: fixture.adminToken)
        let page = String(buffer: try await client.execute(uri: "/admin", method: .get, headers: [.cookie: admin]).body)
        #expect(!page.contains("Online RLHF rounds"), "no panel without a loop")
    }
}
