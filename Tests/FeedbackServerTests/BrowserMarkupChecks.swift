// Markup sent through every field a model or a person fills, in the real browser: prompts,
// completions, chat replies, corrections, reasons, better answers and annotator names. Each page
// that shows them must show the literal text, grow no element from it, and run none of it.
// Run from BrowserTests' one browser session, after its own steps.

import BrowserTestSupport
import Foundation
import Testing
@testable import Feedback
@testable import FeedbackServer

/// A script, an event handler, attribute-breaking quotes and a `javascript:` URL in one text, and
/// a tag whose "<" a prepended mark (U+0600) joins into one grapheme cluster with itself, which an
/// escaper comparing Characters passes raw.
let markupPayload = #""><script>window.__xss = 1; document.title = "owned"</script><img src=x onerror="window.__xss = 2"><a href="javascript:window.__xss = 3">link</a>' onfocus='window.__xss = 4' autofocus x='"#
    + "\u{0600}<img src=x onerror=\"window.__xss = 7\">"
/// The same attacks within the 100 characters a name may have.
let markupName = #""><img src=x onerror="window.__xss = 5"><svg onload='window.__xss = 6'>"#

/// Nothing from the payloads ran (no global, no title change) or became an element.
private func expectInert(_ browser: HeadlessChromium, _ page: String, title: String) async throws {
    let state = try await browser.evaluate("""
        ({ ran: typeof window.__xss, title: document.title,
           grown: document.querySelectorAll('body script, body img, body svg, a[href^="javascript"], [onerror], [onload], [onfocus], [autofocus]').length })
        """) as? [String: Any]
    #expect(state?["ran"] as? String == "undefined", "\(page): a payload's script ran")
    #expect(state?["title"] as? String == "\(title) · RLHF workbench", "\(page): the title changed")
    #expect(state?["grown"] as? Int == 0, "\(page): the payload became elements")
}

private func text(_ browser: HeadlessChromium, _ selector: String) async throws -> String? {
    try await browser.evaluate("document.querySelector(\(try HeadlessChromium.quoted(selector)))?.textContent") as? String
}

/// Signed in as alice on the chat page: the markup goes through the chat, a correction, a
/// labeling reason and better answer, a prompt and its completion; then a markup-named
/// administrator signs in and sees every name, prompt and audit line.
func checkMarkupInEveryField(_ browser: HeadlessChromium, base: String, fixture: ServerFixture) async throws {
    _ = try await fixture.store.createTask(prompt: markupPayload, completions: [
        NewCompletion(text: markupPayload, provenance: Provenance(model: "policy-a")),
        NewCompletion(text: "plain", provenance: Provenance(model: "policy-b")),
    ])
    let nameToken = try await fixture.store.createAnnotator(name: markupName, role: .admin).token

    try await browser.open("\(base)/chat")
    _ = try await browser.evaluate("document.getElementById('chat-input').value = \(try HeadlessChromium.quoted(markupPayload))")
    try await browser.click("#send")
    try await browser.waitUntil("document.querySelector('.message.assistant[data-completion-id]') !== null")
    #expect(try await text(browser, ".message.assistant .message-text") == "You said: \(markupPayload)")
    try await browser.click(".message.assistant .correct")
    _ = try await browser.evaluate("document.querySelector('.correction-text').value = \(try HeadlessChromium.quoted(markupPayload))")
    try await browser.click(".correction button[type=submit]")
    try await browser.waitUntil("document.querySelector('.reply-status').textContent.startsWith('Correction saved')")
    #expect(try await text(browser, ".message.assistant .message-text") == markupPayload)
    try await expectInert(browser, "chat", title: "Chat")

    // The labeling page shows the hostile completion's task; judge it with markup as the reason
    // and better answer (stored, and shown back by no page), then meet the markup prompt.
    try await browser.open("\(base)/label")
    for field in ["reason", "better-answer"] {
        _ = try await browser.evaluate("document.getElementById('\(field)').value = \(try HeadlessChromium.quoted(markupPayload))")
    }
    try await browser.click("#both-bad")
    try await browser.click("#submit-judgment")
    try await browser.waitUntil("document.readyState === 'complete' && document.getElementById('prompt')?.textContent === \(try HeadlessChromium.quoted(markupPayload))")
    let shown = try await browser.evaluate("Array.from(document.querySelectorAll('.completion-text')).map(e => e.textContent)") as? [String]
    #expect(shown?.contains(markupPayload) == true)
    try await expectInert(browser, "label", title: "Label")
    let reasons = try await fixture.store.judgments(for: fixture.aliceID).compactMap(\.judgment.reason)
    #expect(reasons.contains(markupPayload))

    // The header's sign-out control ends the session on the server: the old cookie no longer works.
    try await browser.click(".signout button")
    try await browser.waitUntil("location.pathname === '/login' && document.readyState === 'complete'")
    try await browser.open("\(base)/label")
    #expect(try await browser.evaluate("location.pathname") as? String == "/login")

    _ = try await browser.evaluate("document.getElementById('token').value = \(try HeadlessChromium.quoted(nameToken))")
    try await browser.click("#sign-in")
    try await browser.waitUntil("location.pathname === '/label' && document.readyState === 'complete'")
    #expect(try await text(browser, "#whoami") == markupName)
    try await browser.open("\(base)/leaderboard")
    let names = try await browser.evaluate("Array.from(document.querySelectorAll('#annotators tr > td:first-child')).map(e => e.textContent)") as? [String]
    #expect(names?.contains(markupName) == true)
    try await expectInert(browser, "leaderboard", title: "Leaderboard")

    try await browser.open("\(base)/admin")
    _ = try await browser.evaluate("document.querySelector('input[name=name]').value = \(try HeadlessChromium.quoted("another " + markupName))")
    try await browser.click("form[action='/admin/annotators'] button")
    try await browser.waitUntil("document.readyState === 'complete' && document.getElementById('new-token') !== null")
    #expect(try await text(browser, "#annotator-list")?.contains(markupName) == true)
    #expect(try await text(browser, "#task-list")?.contains(markupPayload) == true)
    #expect(try await text(browser, "#audit-log tbody")?.contains("another " + markupName) == true)
    try await expectInert(browser, "admin", title: "Admin")
}
