// The real page in a real headless Chromium: sign in, rank a task by clicking, see it counted on
// the leaderboard, and check that model text carrying a script is shown as text and never runs,
// on the labeling page and in the chat (where a reply is also rated and corrected); then markup
// through every field (BrowserMarkupChecks), in the same browser.

import BrowserTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Feedback
@testable import FeedbackServer

private let chromium = HeadlessChromium.executable()

@Test(.enabled(if: chromium != nil, "Chromium is not installed (Debian package 'chromium'); the test command installs it"))
func aBrowserSignsInRanksATaskAndSeesItOnTheLeaderboard() async throws {
    let fixture = try await ServerFixture()
    try await fixture.application().test(.live) { client in
        let base = "http://localhost:\(try #require(client.port))"
        let browser = try await HeadlessChromium(executable: try #require(chromium))
        defer { browser.close() }
        do {
            try await signInAndRank(browser, base: base, fixture: fixture)
            try await checkHostileCompletionIsInert(browser)
            try await checkLeaderboardCounts(browser, base: base)
            try await chatRateAndCorrect(browser, base: base)
            try await checkMarkupInEveryField(browser, base: base, fixture: fixture)
        } catch {
            let log = (try? String(contentsOf: browser.logFile, encoding: .utf8)) ?? ""
            let page = (try? await browser.evaluate("location.href + ': ' + document.body.innerText.slice(0, 500)")) as? String ?? "(unreadable)"
            Issue.record("browser run failed: \(error)\nThe page: \(page)\nChromium's output ends:\n\(log.suffix(2000))")
        }
    }
    let judgments = try await fixture.store.judgments(for: fixture.aliceID)
    #expect(Set(judgments.map(\.judgment.taskID)) == Set(fixture.tasks.map { $0.task.id }))
    #expect(try await fixture.store.demonstrationExamples().map(\.completion) == ["A corrected answer.", markupPayload, markupPayload])
}

/// Signs in through the form, ranks the first task by clicking its answers, submits.
private func signInAndRank(_ browser: HeadlessChromium, base: String, fixture: ServerFixture) async throws {
    try await browser.open("\(base)/login")
    _ = try await browser.evaluate("document.getElementById('token').value = \(try HeadlessChromium.quoted(fixture.aliceToken))")
    try await browser.click("#sign-in")
    try await browser.waitUntil("location.pathname === '/label' && document.readyState === 'complete' && !!document.getElementById('task')")
    #expect(try await browser.evaluate("document.cookie") as? String == "", "the session cookie must be HttpOnly")
    #expect(try await browser.evaluate("document.getElementById('prompt').textContent") as? String == "The film opens with")
    let shown = try await browser.evaluate("Array.from(document.querySelectorAll('.completion')).map(e => Number(e.dataset.completionId))") as? [Int]
    #expect(Set(shown ?? []) == Set(fixture.tasks[0].completions.map { Int($0.id!) }))
    // Click the answers best first: the last shown, then the first.
    try await browser.click(".completion:last-child .completion-text")
    try await browser.click(".completion:first-child .completion-text")
    let ranks = try await browser.evaluate("Array.from(document.querySelectorAll('.rank-select')).map(s => s.value)") as? [String]
    #expect(ranks == ["2", "1"])
    _ = try await browser.evaluate("document.getElementById('reason').value = 'the second reads better'")
    try await browser.click("#submit-judgment")
    try await browser.waitUntil("document.getElementById('status') === null || document.getElementById('status').textContent.startsWith('Saved')")
}

/// After the reload the second task shows the hostile completion: as literal text, inert.
private func checkHostileCompletionIsInert(_ browser: HeadlessChromium) async throws {
    try await browser.waitUntil("document.readyState === 'complete' && document.getElementById('prompt') !== null && document.getElementById('prompt').textContent === 'Its cast is'")
    let texts = try await browser.evaluate("Array.from(document.querySelectorAll('.completion-text')).map(e => e.textContent)") as? [String]
    #expect(texts?.contains(ServerFixture.hostileText) == true, "the completion must appear as its literal text")
    #expect(try await browser.evaluate("typeof window.__pwned") as? String == "undefined", "the completion's script ran")
    #expect(try await browser.evaluate("document.querySelectorAll('#completions script, #completions img, #completions b').length") as? Int == 0)
}

/// The leaderboard counts alice's one judgment and the battle it implies.
private func checkLeaderboardCounts(_ browser: HeadlessChromium, base: String) async throws {
    try await browser.open("\(base)/leaderboard")
    let aliceJudgments = try await browser.evaluate("document.querySelector('tr[data-annotator=\"alice\"] .judgments').textContent") as? String
    #expect(aliceJudgments == "1")
    let battles = try await browser.evaluate("Array.from(document.querySelectorAll('#models .battles')).map(e => e.textContent)") as? [String]
    #expect(battles == ["1", "1"])
}

/// Chats with the (stand-in) model: a streamed reply quoting markup is shown as text, then rated and corrected.
private func chatRateAndCorrect(_ browser: HeadlessChromium, base: String) async throws {
    try await browser.open("\(base)/chat")
    let message = "<script>window.__chat = 1</script><b>hi</b>"
    _ = try await browser.evaluate("document.getElementById('chat-input').value = \(try HeadlessChromium.quoted(message))")
    try await browser.click("#send")
    // The reply streams in; it carries its completion id once the whole answer is stored.
    try await browser.waitUntil("document.querySelector('.message.assistant[data-completion-id]') !== null")
    let reply = try await browser.evaluate("document.querySelector('.message.assistant .message-text').textContent") as? String
    #expect(reply == "You said: \(message)")
    #expect(try await browser.evaluate("typeof window.__chat") as? String == "undefined")
    #expect(try await browser.evaluate("document.querySelectorAll('#conversation script, #conversation b').length") as? Int == 0)
    try await browser.click(".message.assistant .rate-bad")
    try await browser.waitUntil("document.querySelector('.reply-status').textContent === 'Rated bad.'")
    try await browser.click(".message.assistant .correct")
    _ = try await browser.evaluate("document.querySelector('.correction-text').value = 'A corrected answer.'")
    try await browser.click(".correction button[type=submit]")
    try await browser.waitUntil("document.querySelector('.reply-status').textContent.startsWith('Correction saved')")
}
