// The iterate panel in a real headless Chromium: while a round runs, the admin page follows the
// loop's status without a reload; when the round ends, the page reloads itself and shows the
// finished round and the button for the next one.

import BrowserTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Feedback
@testable import FeedbackServer

private let chromium = HeadlessChromium.executable()

/// A loop whose status the test moves on by hand.
private actor ScriptedIteration: IterationControl {
    private var current = IterationStatus(
        isRunning: true, state: "Round 2: sampling tasks from the policy",
        rounds: [IterationStatus.Round(round: 1, judgeScore: 0.25, labels: 12, rewardAccuracy: 0.7, seconds: 30)], arena: [])

    func status() async throws -> IterationStatus { current }

    func startRound() async throws -> IterationStatus { throw IterationControlError.roundRunning(current.nextRound) }

    func report(_ state: String) { current.state = state }

    func finishRound() {
        current.isRunning = false
        current.state = "Round 2 finished."
        current.rounds.append(IterationStatus.Round(round: 2, judgeScore: 0.5, labels: 24, rewardAccuracy: 0.75, seconds: 60))
    }
}

@Test(.enabled(if: chromium != nil, "Chromium is not installed (Debian package 'chromium'); the test command installs it"))
func theIteratePanelFollowsARunningRoundAndShowsItWhenItEnds() async throws {
    let fixture = try await ServerFixture(withTasks: false)
    let iteration = ScriptedIteration()
    try await fixture.application(iteration: iteration).test(.live) { client in
        let base = "http://localhost:\(try #require(client.port))"
        let browser = try await HeadlessChromium(executable: try #require(chromium))
        defer { browser.close() }
        do {
            try await browser.open("\(base)/login")
            _ = try await browser.evaluate("document.getElementById('token').value = \(try HeadlessChromium.quoted(fixture.adminToken))")
            try await browser.click("#sign-in")
            try await browser.waitUntil("location.pathname !== '/login' && document.readyState === 'complete'")
            try await browser.open("\(base)/admin")
            let state = "document.getElementById('iterate-state').textContent"
            try await browser.waitUntil("\(state) === 'Round 2: sampling tasks from the policy'")
            #expect(try await browser.evaluate("document.getElementById('start-round') === null") as? Bool == true)
            _ = try await browser.evaluate("window.__sameDocument = true")

            await iteration.report("Round 2: PPO iteration 3 of 12")
            try await browser.waitUntil("\(state) === 'Round 2: PPO iteration 3 of 12'", seconds: 20)
            #expect(try await browser.evaluate("window.__sameDocument === true") as? Bool == true, "the state changed without a reload")

            await iteration.finishRound()
            try await browser.waitUntil(
                "document.getElementById('start-round') !== null && document.getElementById('start-round').textContent === 'Start round 3'", seconds: 20)
            #expect(try await browser.evaluate("document.querySelectorAll('#iterate-rounds tr[data-round]').length") as? Int == 2)
        } catch {
            let log = (try? String(contentsOf: browser.logFile, encoding: .utf8)) ?? ""
            Issue.record("browser run failed: \(error)\nChromium's output ends:\n\(log.suffix(2000))")
        }
    }
}
