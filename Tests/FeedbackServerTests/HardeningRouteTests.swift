// Router-level tests of the server's defences: CSRF tokens, session expiry, sign-in throttling,
// body limits, vote limits, the audit log, and pages free of inline script.

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Feedback
import FeedbackTestSupport
@testable import FeedbackServer

/// A clock the tests move by hand, so expiry and backoff are checked without waiting.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var time: Date

    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        time = start
    }

    func now() -> Date {
        lock.withLock { time }
    }

    func advance(_ seconds: TimeInterval) {
        lock.withLock { time.addTimeInterval(seconds) }
    }
}

extension ServerFixture {
    /// The application with `configure` applied to the test configuration.
    func application(_ configure: (inout FeedbackServerConfiguration) -> Void) throws -> some ApplicationProtocol {
        var configuration = FeedbackServerConfiguration(port: 0, leaderboardBootstrapRounds: 20)
        configure(&configuration)
        return try buildApplication(configuration: configuration, store: store, source: EchoCompletionSource())
    }
}

/// The value of the hidden `csrf` field in a page's first form.
private func hiddenToken(in html: String) -> String? {
    guard let field = html.range(of: #"name="csrf" value=""#) else { return nil }
    return String(html[field.upperBound...].prefix { $0 != "\"" })
}

@Test(arguments: StoreBackend.all) func cookieRequestsNeedTheSessionsCSRFTokenAndBearerRequestsDoNot(_ backend: StoreBackend) async throws {
    let fixture = try await ServerFixture(backend: backend)
    let judgment = try jsonBody(JudgmentBody(tiers: [fixture.tasks[0].completions.map { $0.id! }]))
    try await fixture.application().test(.router) { client in
        let alice = try await signIn(client, token: fixture.aliceToken)
        let bob = try await signIn(client, token: fixture.bobToken)
        let uri = "/api/tasks/\(fixture.tasks[0].task.id!)/judgment"
        let json: HTTPFields = [.contentType: "application/json", .cookie: alice]
        let missing = try await client.execute(uri: uri, method: .put, headers: json, body: judgment)
        #expect(missing.status == .forbidden && errorMessage(missing)?.contains("CSRF token") == true)
        var wrong = json
        wrong[.csrfToken] = csrfToken(bob)
        #expect(try await client.execute(uri: uri, method: .put, headers: wrong, body: judgment).status == .forbidden, "another session's token")
        #expect(try await fixture.store.counts().judgments == 0)
        #expect(try await client.execute(uri: uri, method: .put, headers: pageJSON(alice), body: judgment).status == .ok)
        #expect(try await client.execute(uri: uri, method: .put, headers: bearer(fixture.bobToken, json: true), body: judgment).status == .ok)

        // Forms carry it as a hidden field, which the page renders with the session's token.
        let page = String(buffer: try await client.execute(uri: "/label", method: .get, headers: [.cookie: alice]).body)
        let hidden = try #require(hiddenToken(in: page))
        #expect(hidden == csrfToken(alice) && page.contains(#"<meta name="csrf-token" content="\#(hidden)">"#))
        let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .cookie: alice]
        #expect(try await client.execute(uri: "/logout", method: .post, headers: form, body: formBody([:])).status == .forbidden)
        #expect(try await client.execute(uri: "/label", method: .get, headers: [.cookie: alice]).status == .ok, "a refused sign-out ends nothing")
        let signOut = try await client.execute(uri: "/logout", method: .post, headers: form, body: formBody(["csrf": hidden]))
        #expect(signOut.status == .seeOther)
        #expect(try await client.execute(uri: "/label", method: .get, headers: [.cookie: alice]).headers[.location] == "/login")

        let admin = try await signIn(client, token: fixture.adminToken)
        let forged = try await client.execute(
            uri: "/admin/annotators", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .cookie: admin],
            body: formBody(["name": "mallory", "role": "admin"]))
        #expect(forged.status == .forbidden)
        #expect(try await fixture.store.annotators().map(\.name) == ["admin", "alice", "bob"])
    }
}

@Test func sessionsEndWhenIdleOrOldAndTheCookieSaysHowLong() async throws {
    let fixture = try await ServerFixture(withTasks: false)
    let clock = ManualClock()
    let app = try fixture.application {
        $0.sessionLifetimes = SessionLifetimes(idle: 600, absolute: 1800)
        $0.now = clock.now
    }
    try await app.test(.router) { client in
        let response = try await client.execute(
            uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: formBody(["token": fixture.aliceToken]))
        #expect(response.headers[.setCookie]?.contains("Max-Age=1800") == true)
        let cookie = try await signIn(client, token: fixture.aliceToken)
        for _ in 0..<2 {
            clock.advance(599)
            #expect(try await client.execute(uri: "/label", method: .get, headers: [.cookie: cookie]).status == .ok)
        }
        clock.advance(601)
        #expect(try await client.execute(uri: "/label", method: .get, headers: [.cookie: cookie]).headers[.location] == "/login", "idle")

        let busy = try await signIn(client, token: fixture.aliceToken)
        for _ in 0..<3 {
            clock.advance(500)
            #expect(try await client.execute(uri: "/api/judgments", method: .get, headers: [.cookie: busy]).status == .ok)
        }
        clock.advance(301)
        #expect(try await client.execute(uri: "/api/judgments", method: .get, headers: [.cookie: busy]).status == .unauthorized, "too old")
        // Refused sessions are deleted, and the third sign-in swept the first one, idle since.
        #expect(try await fixture.store.storedSessionCount() == 0)
    }
}

/// The fixture's server with two free failures, then waits of 10, 20 and at most 30 s by `clock`.
private func throttledApplication(_ fixture: ServerFixture, clock: ManualClock) throws -> some ApplicationProtocol {
    try fixture.application {
        $0.signInThrottling = SignInThrottle.Policy(freeFailures: 2, firstWait: 10, longestWait: 30)
        $0.now = clock.now
    }
}

@Test func failedSignInsFromOneAddressWaitLongerEachTimeAndASuccessForgetsThem() async throws {
    let (fixture, clock) = (try await ServerFixture(withTasks: false), ManualClock())
    let app = try throttledApplication(fixture, clock: clock)
    try await app.test(.router) { client in
        func attempt(_ token: String) async throws -> TestResponse {
            try await client.execute(
                uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: formBody(["token": token]))
        }
        #expect(try await attempt("guess-1").status == .unauthorized)
        #expect(try await attempt("guess-2").status == .unauthorized)
        #expect(try await attempt("guess-3").status == .unauthorized, "the third failure starts a 10 s wait")
        for (wait, guess) in [(10, "guess-4"), (20, "guess-5"), (30, "guess-6"), (30, "guess-7")] {
            let refused = try await attempt(fixture.aliceToken)
            #expect(refused.status == .tooManyRequests && refused.headers[.retryAfter] == String(wait), "even the right token waits")
            #expect(String(buffer: refused.body).contains("wait \(wait) seconds"))
            clock.advance(TimeInterval(wait - 1))
            #expect(try await attempt(fixture.aliceToken).status == .tooManyRequests)
            clock.advance(1)
            #expect(try await attempt(guess).status == .unauthorized)
        }
        clock.advance(30)
        #expect(try await attempt(fixture.aliceToken).status == .seeOther)
        #expect(try await attempt("guess-8").status == .unauthorized)
        #expect(try await attempt("guess-9").status == .unauthorized, "a success forgot the earlier failures")
    }
}

@Test func unknownBearerTokensAreThrottledAsFailedSignIns() async throws {
    let (fixture, clock) = (try await ServerFixture(withTasks: false), ManualClock())
    let app = try throttledApplication(fixture, clock: clock)
    try await app.test(.router) { client in
        func judgments(_ token: String) async throws -> TestResponse {
            try await client.execute(uri: "/api/judgments", method: .get, headers: bearer(token))
        }
        #expect(try await judgments(fixture.aliceToken).status == .ok)
        for guess in ["guess-1", "guess-2", "guess-3"] { #expect(try await judgments(guess).status == .unauthorized) }
        let refused = try await judgments(fixture.aliceToken)
        #expect(refused.status == .tooManyRequests && refused.headers[.retryAfter] == "10", "even a known token waits")
        let signIn = try await client.execute(
            uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: formBody(["token": fixture.aliceToken]))
        #expect(signIn.status == .tooManyRequests, "the sign-in page shares the address's count")
        clock.advance(10)
        #expect(try await judgments(fixture.aliceToken).status == .ok)
        #expect(try await judgments("guess-4").status == .unauthorized, "a success forgot the earlier failures")
    }
}

@Test func bodiesOverTheLimitAreRefusedWith413() async throws {
    let fixture = try await ServerFixture(withTasks: false)
    // Lines of one length with prompts of their own: the store keeps a repeated task once.
    let lines = (0..<5).map { #"{"prompt": "P\#($0)", "completions": [{"text": "x", "model": "m1"}, {"text": "y", "model": "m2"}]}"# + "\n" }
    let lineBytes = lines[0].utf8.count
    try await fixture.application { $0.bodyLimit = 4 * lineBytes }.test(.router) { client in
        let fits = try await client.execute(
            uri: "/api/admin/tasks", method: .post, headers: bearer(fixture.adminToken), body: ByteBuffer(string: lines[..<4].joined()))
        #expect(fits.status == .ok)
        let over = try await client.execute(
            uri: "/api/admin/tasks", method: .post, headers: bearer(fixture.adminToken), body: ByteBuffer(string: lines.joined()))
        #expect(over.status == .contentTooLarge && errorMessage(over)?.contains("at most \(4 * lineBytes)") == true)
        let anonymous = try await client.execute(
            uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: "token=" + String(repeating: "a", count: 1000)))
        #expect(anonymous.status == .contentTooLarge, "refused before anyone is signed in")
        #expect(try await fixture.store.counts().tasks == 4)
    }
}

@Test(arguments: StoreBackend.all) func theVoteLimitRefusesNewJudgmentsInItsWindowButNotRevisions(_ backend: StoreBackend) async throws {
    let fixture = try await ServerFixture(backend: backend)
    let clock = ManualClock()
    let app = try fixture.application {
        $0.voteLimit = VoteLimit(count: 1, window: 3600)
        $0.now = clock.now
    }
    try await app.test(.router) { client in
        func judge(_ task: TaskDetails) async throws -> TestResponse {
            try await client.execute(
                uri: "/api/tasks/\(task.task.id!)/judgment", method: .put, headers: bearer(fixture.aliceToken, json: true),
                body: try jsonBody(JudgmentBody(tiers: [task.completions.map { $0.id! }])))
        }
        #expect(try await judge(fixture.tasks[0]).status == .ok)
        let refused = try await judge(fixture.tasks[1])
        #expect(refused.status == .tooManyRequests && errorMessage(refused) == "you have judged 1 tasks in the last 60 minutes, the most this server accepts: try again later")
        clock.advance(60)
        #expect(try await judge(fixture.tasks[0]).status == .ok, "revising a judgment is not a new vote")
        clock.advance(3541)
        #expect(try await judge(fixture.tasks[1]).status == .ok)
        #expect(try await fixture.store.judgments(for: fixture.bobID).isEmpty)
    }
}

@Test(arguments: StoreBackend.all) func adminActionsAreAuditedForAdminsEyesOnly(_ backend: StoreBackend) async throws {
    let fixture = try await ServerFixture(backend: backend, withTasks: false)
    try await fixture.application().test(.router) { client in
        let admin = try await signIn(client, token: fixture.adminToken)
        #expect(try await client.execute(
            uri: "/admin/annotators", method: .post, headers: pageForm(admin), body: formBody(["name": "<b>carol</b>"])).status == .ok)
        let lines = #"{"prompt": "P", "completions": [{"text": "x", "model": "m1"}, {"text": "y", "model": "m2"}]}"#
        #expect(try await client.execute(uri: "/api/admin/tasks", method: .post, headers: bearer(fixture.adminToken), body: ByteBuffer(string: lines)).status == .ok)
        let page = String(buffer: try await client.execute(uri: "/admin", method: .get, headers: [.cookie: admin]).body)
        #expect(page.contains("<td>admin</td><td>import tasks</td><td>1 tasks</td>"))
        #expect(page.contains("<td>admin</td><td>create annotator</td><td>&lt;b&gt;carol&lt;/b&gt; (annotator)</td>"))
        let api = try await client.execute(uri: "/api/admin/audit", method: .get, headers: bearer(fixture.adminToken))
        #expect(try decoded([AdminAuditEntry].self, api).map(\.action) == ["import tasks", "create annotator"])
        #expect(try await client.execute(uri: "/api/admin/audit", method: .get, headers: bearer(fixture.aliceToken)).status == .forbidden)
    }
}

@Test func everyPageIsFreeOfInlineScriptAndEveryFormCarriesTheToken() async throws {
    let fixture = try await ServerFixture()
    try await fixture.application().test(.router) { client in
        let admin = try await signIn(client, token: fixture.adminToken)
        let anonymous = try await client.execute(uri: "/login", method: .get)
        var pages = [("/login", anonymous)]
        for uri in ["/label", "/chat", "/leaderboard", "/admin"] {
            pages.append((uri, try await client.execute(uri: uri, method: .get, headers: [.cookie: admin])))
        }
        let scriptTag = try Regex(#"<script\b[^>]*>"#).ignoresCase()
        let handler = try Regex(#"<[^>]*\son[a-z]+\s*="#).ignoresCase()
        let postForm = try Regex(#"<form method="post"[^>]*>(<input type="hidden" name="csrf" value="([0-9a-f]*)">)?"#)
        for (uri, response) in pages {
            let html = String(buffer: response.body)
            #expect(response.status == .ok, "\(uri)")
            #expect(response.headers[.contentSecurityPolicy]?.contains("script-src 'self';") == true, "\(uri)")
            #expect(response.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff" && response.headers[.referrerPolicy] == "no-referrer")
            let scripts = html.matches(of: scriptTag).map { String(html[$0.range]) }
            #expect(scripts == [#"<script src="/static/app.js" defer>"#], "\(uri): only the static script")
            #expect(html.firstMatch(of: handler) == nil && !html.lowercased().contains("javascript:"), "\(uri): inline handler")
            let forms = html.matches(of: postForm)
            #expect(!forms.isEmpty, "\(uri): the sign-in or sign-out form at least")
            for form in forms {
                let token = form.output[2].substring.map(String.init)
                #expect(token == (uri == "/login" ? "" : csrfToken(admin)), "\(uri): \(html[form.range])")
            }
        }
    }
}

@Test func adminsSeeThePanelsAgreementAndExcludeAnAnnotatorsJudgments() async throws {
    let fixture = try await ServerFixture()
    let task = fixture.tasks[0]
    let order = task.completions.map { $0.id! }
    let carol = try await fixture.store.createAnnotator(name: "carol", role: .annotator).annotator.id!
    for (annotator, ranking) in [(fixture.aliceID, order), (carol, order), (fixture.bobID, Array(order.reversed()))] {
        try await fixture.store.submit(.ranking(task: task.task.id!, bestFirst: ranking), by: annotator)
    }
    try await fixture.application().test(.router) { client in
        let admin = try await signIn(client, token: fixture.adminToken)
        let page = String(buffer: try await client.execute(uri: "/admin", method: .get, headers: [.cookie: admin]).body)
        #expect(page.contains(#"<tr data-annotator="bob"><td>bob</td><td>1</td><td>0%</td>"#))
        #expect(page.contains(#"<tr data-annotator="alice"><td>alice</td><td>0</td>"#) == false, "alice's two others split: nothing to compare")
        let alice = try await signIn(client, token: fixture.aliceToken)
        #expect(try await client.execute(
            uri: "/admin/exclusions", method: .post, headers: pageForm(alice), body: formBody(["name": "bob", "excluded": "true"])).status == .forbidden)
        let excluded = try await client.execute(
            uri: "/admin/exclusions", method: .post, headers: pageForm(admin), body: formBody(["name": "bob", "excluded": "true"]))
        #expect(excluded.status == .ok && String(buffer: excluded.body).contains("bob&#39;s judgments are left out of exports."))
        #expect(String(buffer: excluded.body).contains("<td>exclude annotator&#39;s judgments</td><td>bob</td>"))
        #expect(try await fixture.store.rankedComparisons().map(\.annotator).sorted() == ["alice", "carol"])
        let agreement = try decoded([AnnotatorAgreement].self, try await client.execute(uri: "/api/admin/agreement", method: .get, headers: bearer(fixture.adminToken)))
        #expect(agreement.first { $0.name == "bob" }?.isExcluded == true)
    }
}

/// Login CSRF: another site's page posting its owner's token to /login would sign the victim's
/// browser in as the attacker, whose account would then collect the victim's work.
@Test func signingInFromAnotherSitesPageIsRefused() async throws {
    let fixture = try await ServerFixture(withTasks: false)
    try await fixture.application().test(.router) { client in
        let form = formBody(["token": fixture.aliceToken])
        for (name, value) in [("Origin", "https://attacker.example"), ("Origin", "http://localhost:8081"), ("Sec-Fetch-Site", "cross-site"), ("Sec-Fetch-Site", "same-site")] {
            var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            headers[HTTPField.Name(name)!] = value
            let response = try await client.execute(uri: "/login", method: .post, headers: headers, body: form)
            #expect(response.status == .forbidden && response.headers[.setCookie] == nil, "\(name): \(value)")
        }
        // The router's test requests are addressed to localhost; our pages' no-referrer policy
        // makes a browser send Origin: null from them.
        for (name, value) in [("Origin", "http://localhost"), ("Origin", "null"), ("Sec-Fetch-Site", "same-origin"), ("Sec-Fetch-Site", "none")] {
            var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            headers[HTTPField.Name(name)!] = value
            let response = try await client.execute(uri: "/login", method: .post, headers: headers, body: form)
            #expect(response.status == .seeOther && response.headers[.setCookie] != nil, "\(name): \(value)")
        }
    }
}
