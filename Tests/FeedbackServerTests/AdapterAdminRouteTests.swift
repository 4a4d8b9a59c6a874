// Router-level tests of the admin page's adapter versions: listed with how training went, and
// rolled back (or back to the base model) by administrators only, through the store's mark.

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Feedback
import FeedbackTestSupport
@testable import FeedbackServer

private struct VersionJSON: Decodable { var id: Int64; var status: String; var isActive: Bool; var corrections: Int }

@Test(arguments: StoreBackend.all) func adminsListAdapterVersionsAndRollBack(_ backend: StoreBackend) async throws {
    let fixture = try await ServerFixture(backend: backend, withTasks: false)
    let store = fixture.store
    let reply = try await store.recordChatReply(
        to: [ChatMessage(role: .user, content: "Who are you?")], reply: NewCompletion(text: "I am the chatbot.", provenance: Provenance(model: "base")),
        by: fixture.aliceID)
    let correction = try await store.correctChatReply(completionID: reply.id!, correction: "I'm a <b>chatbot</b>.", by: fixture.aliceID)
    var versionIDs: [Int64] = []
    for round in 0..<2 {
        let version = try await store.beginAdapterVersion(
            baseModel: "/models/base.gguf", startingAdapter: nil, demonstrationIDs: [correction.id!], ratingIDs: [], folder: { "/versions/\($0)" })
        _ = try await store.finishAdapterVersion(version.id, metrics: ["sft/loss": 0.5 / Double(round + 1), "corrections/reproduced": 1], activation: .always)
        versionIDs.append(version.id)
    }
    let ids = versionIDs
    let training = try await store.beginAdapterVersion(
        baseModel: "/models/base.gguf", startingAdapter: nil, demonstrationIDs: [], ratingIDs: [], folder: { "/versions/\($0)" })

    try await fixture.application().test(.router) { client in
        let alice = try await signIn(client, token: fixture.aliceToken)
        #expect(try await client.execute(uri: "/admin/adapters/\(ids[0])/activate", method: .post, headers: pageForm(alice)).status == .forbidden)
        #expect(try await client.execute(uri: "/admin/adapters/deactivate", method: .post, headers: pageForm(alice)).status == .forbidden)
        #expect(try await client.execute(uri: "/api/admin/adapters/\(ids[0])/activate", method: .post, headers: bearer(fixture.aliceToken)).status == .forbidden)
        #expect(try await client.execute(uri: "/api/admin/adapters", method: .get, headers: bearer(fixture.bobToken)).status == .forbidden)
        #expect(try await store.activeAdapterVersion()?.id == ids[1], "no annotator's request changed the active version")

        let admin = try await signIn(client, token: fixture.adminToken)
        let page = String(buffer: try await client.execute(uri: "/admin", method: .get, headers: [.cookie: admin]).body)
        #expect(page.contains(#"<tr data-version="\#(ids[1])"><td>\#(ids[1])</td><td class="status">ready (answering)</td>"#), "\(page)")
        #expect(page.contains(#"<td class="status">training</td>"#) && page.contains("0.250") && page.contains("100%"))
        #expect(page.contains(#"action="/admin/adapters/\#(ids[0])/activate""#) && !page.contains(#"action="/admin/adapters/\#(ids[1])/activate""#),
                "only ready versions that are not answering can be activated")

        let rolledBack = try await client.execute(uri: "/admin/adapters/\(ids[0])/activate", method: .post, headers: pageForm(admin))
        #expect(rolledBack.status == .ok && String(buffer: rolledBack.body).contains("Version \(ids[0]) answers in the chat now."))
        #expect(try await store.activeAdapterVersion()?.id == ids[0])
        let unfinished = try await client.execute(uri: "/admin/adapters/\(training.id)/activate", method: .post, headers: pageForm(admin))
        #expect(unfinished.status == .conflict && String(buffer: unfinished.body).contains("is training, not ready"))
        #expect(try await client.execute(uri: "/admin/adapters/99/activate", method: .post, headers: pageForm(admin)).status == .notFound)

        let listed = try decoded([VersionJSON].self, try await client.execute(uri: "/api/admin/adapters", method: .get, headers: bearer(fixture.adminToken)))
        #expect(listed.map(\.id) == [training.id, ids[1], ids[0]] && listed.map(\.isActive) == [false, false, true])
        #expect(listed.map(\.corrections) == [0, 1, 1] && listed[0].status == "training")

        let base = try await client.execute(uri: "/admin/adapters/deactivate", method: .post, headers: pageForm(admin))
        #expect(base.status == .ok && String(buffer: base.body).contains("The model the server started with answers in the chat now."))
        #expect(try await store.activeAdapterVersion() == nil)
        let viaAPI = try await client.execute(uri: "/api/admin/adapters/\(ids[1])/activate", method: .post, headers: bearer(fixture.adminToken))
        #expect(try decoded(VersionJSON.self, viaAPI).isActive)
        #expect(try await store.activeAdapterVersion()?.id == ids[1])
    }
}
