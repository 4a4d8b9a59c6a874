// Router-level tests of the labeling page and the task and judgment API, including scoping.

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Feedback
import FeedbackTestSupport
@testable import FeedbackServer

@Test(arguments: StoreBackend.all) func theLabelingPageShowsTheTaskEscapedAndWithoutModels(_ backend: StoreBackend) async throws {
    let fixture = try await ServerFixture(backend: backend)
    // Judge task 1 so that the page shows task 2, the one with the hostile completion.
    try await fixture.store.submit(.choice(task: fixture.tasks[0].task.id!, preferred: fixture.tasks[0].completions[0].id!,
                                           over: fixture.tasks[0].completions[1].id!), by: fixture.aliceID)
    try await fixture.application().test(.router) { client in
        let cookie = try await signIn(client, token: fixture.aliceToken)
        let page = try await client.execute(uri: "/label", method: .get, headers: [.cookie: cookie])
        let html = String(buffer: page.body)
        #expect(page.status == .ok && page.headers[.contentType] == "text/html; charset=utf-8")
        #expect(html.contains(#"data-task-id="\#(fixture.tasks[1].task.id!)""#))
        #expect(html.contains("&lt;script&gt;window.__pwned = 1&lt;/script&gt;&lt;img src=x onerror=&quot;window.__pwned = 2&quot;&gt;"))
        #expect(!html.contains("<script>window") && !html.contains("<img src=x"))
        #expect(!html.contains("policy-a") && !html.contains("policy-b"))
        for completion in fixture.tasks[1].completions {
            #expect(html.contains(#"data-completion-id="\#(completion.id!)""#))
        }
    }
}

/// A character that joins the next one into a grapheme cluster (U+0600 before "<", a combining
/// accent after a quote) does not carry markup past the escaping, which goes scalar by scalar.
@Test func markupInsideAGraphemeClusterIsEscaped() async throws {
    let fixture = try await ServerFixture(backend: .sqlite)
    for task in fixture.tasks {
        try await fixture.store.submit(.choice(task: task.task.id!, preferred: task.completions[0].id!, over: task.completions[1].id!), by: fixture.aliceID)
    }
    let hostile = "\u{0600}<input id=tie type=checkbox checked hidden\u{0600}>"
    _ = try await fixture.store.createTask(prompt: "x\"\u{0301} autofocus onfocus=alert(1) \"\u{0301}", completions: [
        NewCompletion(text: hostile, provenance: Provenance(model: "a")), NewCompletion(text: "plain", provenance: Provenance(model: "b")),
    ])
    try await fixture.application().test(.router) { client in
        let cookie = try await signIn(client, token: fixture.aliceToken)
        let html = String(buffer: try await client.execute(uri: "/label", method: .get, headers: [.cookie: cookie]).body)
        #expect(html.contains("\u{0600}&lt;input id=tie type=checkbox checked hidden\u{0600}&gt;"), "\(html)")
        // Searched without the joining mark: with it, "<" is inside a Character and a search by Characters misses it.
        #expect(!html.replacingOccurrences(of: "\u{0600}", with: "").contains("<input id=tie"), "no raw tag from the completion")
        #expect(html.contains("&quot;\u{0301} autofocus"), "the prompt's quote is escaped with its accent after it")
    }
    #expect(ScalarHTMLEscaping().escapeText("a\u{0600}<b>'\"\u{0301}&") == "a\u{0600}&lt;b&gt;&#39;&quot;\u{0301}&amp;")
}

@Test(arguments: StoreBackend.all) func taskAPIHandsOutTasksAndAcceptsJudgments(_ backend: StoreBackend) async throws {
    let fixture = try await ServerFixture(backend: backend)
    try await fixture.application().test(.router) { client in
        let next = try await client.execute(uri: "/api/tasks/next", method: .get, headers: bearer(fixture.aliceToken))
        #expect(next.status == .ok && !String(buffer: next.body).contains("model"))
        let task = try decoded(TaskJSON.self, next)
        #expect(task.taskID == fixture.tasks[0].task.id && task.prompt == "The film opens with" && task.completions.count == 2)
        let byID = try await client.execute(uri: "/api/tasks/\(task.taskID)", method: .get, headers: bearer(fixture.aliceToken))
        #expect(try decoded(TaskJSON.self, byID).completions.map(\.id) == task.completions.map(\.id))
        #expect(try await client.execute(uri: "/api/tasks/999", method: .get, headers: bearer(fixture.aliceToken)).status == .notFound)

        let order = task.completions.map(\.id)
        let body = JudgmentBody(tiers: [[order[1]], [order[0]]], reason: "livelier", betterAnswer: "a better opening")
        let saved = try await client.execute(uri: "/api/tasks/\(task.taskID)/judgment", method: .put,
                                             headers: bearer(fixture.aliceToken, json: true), body: try jsonBody(body))
        #expect(saved.status == .ok)
        let judgment = try decoded(JudgmentJSON.self, saved)
        #expect(judgment.tiers == [[order[1]], [order[0]]] && judgment.reason == "livelier" && !judgment.bothBad)
        #expect(try await fixture.store.counts().demonstrations == 1)

        let invalid = try await client.execute(uri: "/api/tasks/\(task.taskID)/judgment", method: .put,
                                               headers: bearer(fixture.aliceToken, json: true), body: try jsonBody(JudgmentBody(tiers: [[order[0]]])))
        #expect(invalid.status == .badRequest && errorMessage(invalid) == "the ranking leaves out completions \(order[1])")
        let unknown = try await client.execute(uri: "/api/tasks/999/judgment", method: .put,
                                               headers: bearer(fixture.aliceToken, json: true), body: try jsonBody(JudgmentBody(tiers: [[1]])))
        #expect(unknown.status == .notFound && errorMessage(unknown) == "task 999 does not exist")
        let garbage = try await client.execute(uri: "/api/tasks/\(task.taskID)/judgment", method: .put,
                                               headers: bearer(fixture.aliceToken, json: true), body: ByteBuffer(string: #"{"kind": "vote"}"#))
        #expect(garbage.status == .badRequest)

        // The next task is the other one; once both are judged there is nothing left (204).
        let second = try decoded(TaskJSON.self, try await client.execute(uri: "/api/tasks/next", method: .get, headers: bearer(fixture.aliceToken)))
        #expect(second.taskID == fixture.tasks[1].task.id)
        let allBad = JudgmentBody(tiers: [second.completions.map(\.id)], bothBad: true)
        #expect(try await client.execute(uri: "/api/tasks/\(second.taskID)/judgment", method: .put,
                                         headers: bearer(fixture.aliceToken, json: true), body: try jsonBody(allBad)).status == .ok)
        #expect(try await client.execute(uri: "/api/tasks/next", method: .get, headers: bearer(fixture.aliceToken)).status == .noContent)
        let page = try await client.execute(uri: "/label", method: .get, headers: [.cookie: try await signIn(client, token: fixture.aliceToken)])
        #expect(String(buffer: page.body).contains(#"id="no-task""#))
    }
}

@Test(arguments: StoreBackend.all) func judgmentsAreReadableAndRemovableOnlyByTheirAuthor(_ backend: StoreBackend) async throws {
    let fixture = try await ServerFixture(backend: backend)
    let task = fixture.tasks[0]
    let ids = task.completions.map { $0.id! }
    try await fixture.application().test(.router) { client in
        let saved = try await client.execute(uri: "/api/tasks/\(task.task.id!)/judgment", method: .put,
                                             headers: bearer(fixture.aliceToken, json: true), body: try jsonBody(JudgmentBody(tiers: [[ids[0]], [ids[1]]])))
        let alices = try decoded(JudgmentJSON.self, saved)
        let path = "/api/judgments/\(alices.judgmentID)"

        let mine = try await client.execute(uri: "/api/judgments", method: .get, headers: bearer(fixture.aliceToken))
        #expect(try decoded([JudgmentJSON].self, mine).map(\.judgmentID) == [alices.judgmentID])
        #expect(try decoded(JudgmentJSON.self, try await client.execute(uri: path, method: .get, headers: bearer(fixture.aliceToken))).tiers == [[ids[0]], [ids[1]]])

        // Bob sees nothing of alice's, cannot read or delete it, and judging the task makes his own.
        #expect(try decoded([JudgmentJSON].self, try await client.execute(uri: "/api/judgments", method: .get, headers: bearer(fixture.bobToken))).isEmpty)
        let bobReads = try await client.execute(uri: path, method: .get, headers: bearer(fixture.bobToken))
        #expect(bobReads.status == .notFound && !String(buffer: bobReads.body).contains("tiers"))
        #expect(try await client.execute(uri: path, method: .delete, headers: bearer(fixture.bobToken)).status == .notFound)
        let bobs = try decoded(JudgmentJSON.self, try await client.execute(
            uri: "/api/tasks/\(task.task.id!)/judgment", method: .put, headers: bearer(fixture.bobToken, json: true),
            body: try jsonBody(JudgmentBody(tiers: [[ids[1]], [ids[0]]]))))
        #expect(bobs.judgmentID != alices.judgmentID)
        let aliceAfter = try decoded(JudgmentJSON.self, try await client.execute(uri: path, method: .get, headers: bearer(fixture.aliceToken)))
        #expect(aliceAfter.tiers == [[ids[0]], [ids[1]]])

        #expect(try await client.execute(uri: path, method: .delete, headers: bearer(fixture.aliceToken)).status == .noContent)
        #expect(try await client.execute(uri: path, method: .get, headers: bearer(fixture.aliceToken)).status == .notFound)
        #expect(try await fixture.store.judgments(for: fixture.bobID).map(\.judgment.id) == [bobs.judgmentID])
    }
}
