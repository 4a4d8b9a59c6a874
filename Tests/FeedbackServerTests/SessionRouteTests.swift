// Router-level tests of the public routes: health, assets, the sign-in flow and security headers.

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import FeedbackTestSupport
@testable import FeedbackServer

@Test func healthAssetsAndSecurityHeaders() async throws {
    let fixture = try await ServerFixture(withTasks: false)
    try await fixture.application().test(.router) { client in
        let health = try await client.execute(uri: "/healthz", method: .get)
        #expect(health.status == .ok && String(buffer: health.body) == "ok")
        let csp = try #require(health.headers[.contentSecurityPolicy])
        #expect(csp.contains("script-src 'self'") && csp.contains("object-src 'none'"))
        let script = try await client.execute(uri: "/static/app.js", method: .get)
        #expect(script.status == .ok && script.headers[.contentType]?.hasPrefix("text/javascript") == true)
        // Model text may only reach the page through textContent.
        #expect(!String(buffer: script.body).contains("innerHTML"))
        #expect(try await client.execute(uri: "/static/style.css", method: .get).headers[.contentType]?.hasPrefix("text/css") == true)
        #expect(try await client.execute(uri: "/nowhere", method: .get).status == .notFound)
    }
}

@Test(arguments: StoreBackend.all) func signInSetsAStrictHttpOnlySessionAndSignOutEndsIt(_ backend: StoreBackend) async throws {
    let fixture = try await ServerFixture(backend: backend, withTasks: false)
    try await fixture.application().test(.router) { client in
        let root = try await client.execute(uri: "/", method: .get)
        #expect(root.status == .seeOther && root.headers[.location] == "/login")
        let loginPage = try await client.execute(uri: "/login", method: .get)
        #expect(loginPage.status == .ok && String(buffer: loginPage.body).contains(#"<form method="post" action="/login""#))

        let refused = try await client.execute(
            uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: "token=not-a-token"))
        #expect(refused.status == .unauthorized && String(buffer: refused.body).contains("That token is not valid."))
        #expect(refused.headers[.setCookie] == nil)

        let accepted = try await client.execute(
            uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: "token=\(fixture.aliceToken)"))
        #expect(accepted.status == .seeOther && accepted.headers[.location] == "/label")
        let setCookie = try #require(accepted.headers[.setCookie])
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/"))
        #expect(!setCookie.contains(fixture.aliceToken))
        let cookie = String(setCookie.prefix { $0 != ";" })

        let signedInRoot = try await client.execute(uri: "/", method: .get, headers: [.cookie: cookie])
        #expect(signedInRoot.headers[.location] == "/label")
        let label = try await client.execute(uri: "/label", method: .get, headers: [.cookie: cookie])
        #expect(label.status == .ok && String(buffer: label.body).contains(#"<span id="whoami">alice</span>"#))

        // Bob signs in on the same browser: Alice's session ends with it.
        let switched = try await client.execute(
            uri: "/login", method: .post, headers: pageForm(cookie), body: ByteBuffer(string: "token=\(fixture.bobToken)"))
        #expect(switched.status == .seeOther, "\(String(buffer: switched.body))")
        let bobCookie = String(try #require(switched.headers[.setCookie]).prefix { $0 != ";" })
        let alicesOld = try await client.execute(uri: "/label", method: .get, headers: [.cookie: cookie])
        #expect(alicesOld.status == .seeOther && alicesOld.headers[.location] == "/login")
        let bobs = try await client.execute(uri: "/label", method: .get, headers: [.cookie: bobCookie])
        #expect(String(buffer: bobs.body).contains(#"<span id="whoami">bob</span>"#))

        let signOut = try await client.execute(uri: "/logout", method: .post, headers: pageForm(bobCookie), body: formBody([:]))
        #expect(signOut.status == .seeOther && signOut.headers[.setCookie]?.contains("Max-Age=0") == true)
        let afterSignOut = try await client.execute(uri: "/label", method: .get, headers: [.cookie: bobCookie])
        #expect(afterSignOut.status == .seeOther && afterSignOut.headers[.location] == "/login")
    }
}

@Test func anonymousRequestsAreTurnedAway() async throws {
    let fixture = try await ServerFixture()
    try await fixture.application().test(.router) { client in
        for page in ["/label", "/chat", "/leaderboard", "/admin"] {
            let response = try await client.execute(uri: page, method: .get)
            #expect(response.status == .seeOther && response.headers[.location] == "/login", "\(page)")
        }
        for (uri, method) in [("/api/tasks/next", HTTPRequest.Method.get), ("/api/judgments", .get), ("/api/leaderboard", .get),
                              ("/api/tasks/1/judgment", .put), ("/api/chat", .post), ("/api/admin/tasks", .get)] {
            #expect(try await client.execute(uri: uri, method: method).status == .unauthorized, "\(method) \(uri)")
        }
        let forged = try await client.execute(uri: "/api/tasks/next", method: .get, headers: [.cookie: "rlhf_session=forged"])
        #expect(forged.status == .unauthorized)
        #expect(try await client.execute(uri: "/api/tasks/next", method: .get, headers: bearer("wrong")).status == .unauthorized)
    }
}
