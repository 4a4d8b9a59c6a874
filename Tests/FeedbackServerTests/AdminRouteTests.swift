// Router-level tests of administration: only admins, creating annotators, loading tasks.

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Feedback
import FeedbackTestSupport
@testable import FeedbackServer

@Test(arguments: StoreBackend.all) func adminPagesAndFormsAreForAdminsOnly(_ backend: StoreBackend) async throws {
    let fixture = try await ServerFixture(backend: backend)
    try await fixture.application().test(.router) { client in
        let alice = try await signIn(client, token: fixture.aliceToken)
        #expect(try await client.execute(uri: "/admin", method: .get, headers: [.cookie: alice]).status == .forbidden)
        #expect(try await client.execute(uri: "/admin/annotators", method: .post, headers: pageForm(alice),
                                         body: formBody(["name": "eve"])).status == .forbidden)
        #expect(try await client.execute(uri: "/api/admin/tasks", method: .get, headers: bearer(fixture.aliceToken)).status == .forbidden)

        let admin = try await signIn(client, token: fixture.adminToken)
        let page = try await client.execute(uri: "/admin", method: .get, headers: [.cookie: admin])
        #expect(page.status == .ok && String(buffer: page.body).contains("Its cast is"))

        let created = try await client.execute(uri: "/admin/annotators", method: .post, headers: pageForm(admin),
                                               body: formBody(["name": "carol", "role": "annotator"]))
        let html = String(buffer: created.body)
        let token = try #require(html.range(of: #"<code id="new-token">"#).map { String(html[$0.upperBound...].prefix(64)) })
        #expect(try await fixture.store.annotator(forToken: token)?.name == "carol")
        let duplicate = try await client.execute(uri: "/admin/annotators", method: .post, headers: pageForm(admin),
                                                 body: formBody(["name": "carol"]))
        #expect(duplicate.status == .badRequest && String(buffer: duplicate.body).contains("an annotator named &#39;carol&#39; already exists"))

        let lines = #"{"prompt": "Pasted", "completions": [{"text": "x", "model": "m1"}, {"text": "y", "model": "m2"}]}"#
        let pasted = lines + "\n" + lines.replacingOccurrences(of: "Pasted", with: "Pasted too")
        let imported = try await client.execute(uri: "/admin/tasks/import", method: .post, headers: pageForm(admin),
                                                body: formBody(["lines": pasted]))
        #expect(imported.status == .ok && String(buffer: imported.body).contains("Imported 2 tasks."))
        let again = try await client.execute(uri: "/admin/tasks/import", method: .post, headers: pageForm(admin), body: formBody(["lines": pasted]))
        #expect(again.status == .ok && String(buffer: again.body).contains("Imported 0 tasks. 2 already present."))
        let broken = try await client.execute(uri: "/admin/tasks/import", method: .post, headers: pageForm(admin),
                                              body: formBody(["lines": lines + "\n{\"prompt\": 3}"]))
        #expect(broken.status == .badRequest && String(buffer: broken.body).contains("pasted tasks:2: field &#39;prompt&#39;: must be a string"))
        let generated = try await client.execute(uri: "/admin/tasks/generate", method: .post, headers: pageForm(admin),
                                                 body: formBody(["prompts": "First prompt\nSecond prompt", "count": "3"]))
        #expect(String(buffer: generated.body).contains("Generated 2 tasks."))
        #expect(try await fixture.store.counts().tasks == 6)
    }
}

private struct CreatedJSON: Decodable { var name: String; var role: String; var token: String }
private struct ImportedJSON: Decodable { var imported: Int; var alreadyPresent: Int }

@Test(arguments: StoreBackend.all) func adminAPICreatesAnnotatorsAndLoadsTasks(_ backend: StoreBackend) async throws {
    let fixture = try await ServerFixture(backend: backend, withTasks: false)
    try await fixture.application().test(.router) { client in
        let created = try await client.execute(uri: "/api/admin/annotators", method: .post, headers: bearer(fixture.adminToken, json: true),
                                               body: ByteBuffer(string: #"{"name": "dave", "role": "admin"}"#))
        let dave = try decoded(CreatedJSON.self, created)
        #expect(dave.role == "admin" && dave.token.count == 64)
        let conflict = try await client.execute(uri: "/api/admin/annotators", method: .post, headers: bearer(fixture.adminToken, json: true),
                                                body: ByteBuffer(string: #"{"name": "dave"}"#))
        #expect(conflict.status == .conflict)

        let lines = #"{"prompt": "P", "completions": [{"text": "x", "model": "m1", "seed": 3}, {"text": "y", "model": "m2"}]}"#
        let body = lines + "\n\n" + lines.replacingOccurrences(of: #""P""#, with: #""P2""#) + "\n"
        let imported = try await client.execute(uri: "/api/admin/tasks", method: .post, headers: bearer(dave.token), body: ByteBuffer(string: body))
        #expect(try decoded(ImportedJSON.self, imported).imported == 2)
        let again = try await client.execute(uri: "/api/admin/tasks", method: .post, headers: bearer(dave.token), body: ByteBuffer(string: body))
        #expect(try decoded(ImportedJSON.self, again).alreadyPresent == 2, "posting the same lines again stores nothing")
        let malformed = try await client.execute(uri: "/api/admin/tasks", method: .post, headers: bearer(dave.token),
                                                 body: ByteBuffer(string: lines + "\n" + #"{"prompt": "P", "completions": [{"text": "x"}]}"#))
        #expect(malformed.status == .badRequest && errorMessage(malformed) == "request body:2: field 'completions.0.model': is missing")
        let generated = try await client.execute(uri: "/api/admin/tasks/generate", method: .post, headers: bearer(dave.token, json: true),
                                                 body: ByteBuffer(string: #"{"prompts": ["Q"], "count": 2}"#))
        #expect(try decoded(ImportedJSON.self, generated).imported == 1)
        let tooMany = try await client.execute(uri: "/api/admin/tasks/generate", method: .post, headers: bearer(dave.token, json: true),
                                               body: ByteBuffer(string: #"{"prompts": ["Q"], "count": 99}"#))
        #expect(tooMany.status == .badRequest)
        let summaries = try await client.execute(uri: "/api/admin/tasks", method: .get, headers: bearer(dave.token))
        #expect(try decoded([TaskSummary].self, summaries).map(\.judgments) == [0, 0, 0])
        #expect(try await fixture.store.taskDetails(id: 3).completions.map(\.model) == ["echo-stand-in", "echo-stand-in"])
    }
}
