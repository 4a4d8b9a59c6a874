// `rlhf-feedback-load --attacks`: starts a real `rlhf serve` on a fresh SQLite store and attacks
// it as a hostile site, a hostile annotator and a password guesser would, printing one table row
// per attack with what the server did. docs/reliability.md's attack table is this output.

import AsyncHTTPClient
import Feedback
import Foundation

/// Markup that breaks out of text, attributes and URLs, in one string.
let attackMarkup = #""><script>window.__xss=1</script><img src=x onerror="window.__xss=2"><a href="javascript:window.__xss=3">x</a>'"#
/// The same within the 100 characters of a name.
let attackName = #""><img src=x onerror="window.__xss=4"><svg onload='window.__xss=5'>"#

/// The attacks, run in order against one server.
struct AttackRun {
    let client: AttackClient
    let store: FeedbackStore
    let people: AttackFixture
    /// The server's body limit, as `--max-body-bytes` set it.
    static let bodyLimit = 1 << 20
    /// The server's vote limit, as `--vote-limit` set it (per hour).
    static let voteLimit = 4

    /// Every attack's row; sign-in guessing last, since it locks the loopback address out.
    func rows() async throws -> [AttackRow] {
        var rows = try await crossSiteRequests()
        rows += try await markupInEveryField()
        rows += try await crossAnnotatorAccess()
        rows += try await sessionsAndLimits()
        rows += try await signInGuessing()
        return rows
    }

    private func json(_ cookie: String, token: String? = nil) -> [(String, String)] {
        [("Cookie", cookie), ("Content-Type", "application/json"), ("Origin", AttackClient.foreignOrigin)] + (token.map { [("X-CSRF-Token", $0)] } ?? [])
    }

    private func form(_ cookie: String) -> [(String, String)] {
        [("Cookie", cookie), ("Content-Type", "application/x-www-form-urlencoded"), ("Origin", AttackClient.foreignOrigin)]
    }

    private func bearer(_ token: String) -> [(String, String)] {
        [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")]
    }

    private func judgmentBody(_ task: TaskDetails, reversed: Bool = false, text: String? = nil) -> String {
        let ids = task.completions.map { $0.id! }
        let tiers = (reversed ? ids.reversed() : ids).map { "[\($0)]" }.joined(separator: ",")
        let extra = try? text.map { #", "reason": \#(try quoted($0)), "betterAnswer": \#(try quoted($0))"# }
        return #"{"kind": "ranking", "tiers": [\#(tiers)]\#(extra ?? "")}"#
    }

    private func quoted(_ text: String) throws -> String {
        String(decoding: try JSONEncoder().encode(text), as: UTF8.self)
    }

    private func crossSiteRequests() async throws -> [AttackRow] {
        let alice = try await client.signIn(people.aliceToken)
        let admin = try await client.signIn(people.adminToken)
        let bobToken = try await client.csrfToken(cookie: try await client.signIn(people.bobToken))
        let task = people.tasks[1]
        let before = try await store.counts().judgments
        let noToken = try await client.send("PUT", "/api/tasks/\(task.task.id!)/judgment", headers: json(alice), body: judgmentBody(task))
        let stolen = try await client.send("PUT", "/api/tasks/\(task.task.id!)/judgment", headers: json(alice, token: bobToken), body: judgmentBody(task))
        let stored = try await store.counts().judgments - before
        let signOut = try await client.send("POST", "/logout", headers: form(alice), body: "")
        let stillIn = try await client.send("GET", "/label", headers: [("Cookie", alice)]).status
        let newAdmin = try await client.send("POST", "/admin/annotators", headers: form(admin), body: "name=mallory&role=admin")
        let created = try await store.annotators().contains { $0.name == "mallory" }
        let cookie = try await client.send("POST", "/login", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: "token=\(people.aliceToken)")
            .headers["set-cookie"] ?? ""
        return [
            AttackRow(attack: "CSRF", attempt: "cross-site PUT of a judgment with alice's cookie, no token",
                      outcome: "\(noToken.status); \(stored) judgments stored", held: noToken.status == 403 && stored == 0),
            AttackRow(attack: "CSRF", attempt: "the same with bob's CSRF token",
                      outcome: "\(stolen.status)", held: stolen.status == 403),
            AttackRow(attack: "CSRF", attempt: "cross-site sign-out form",
                      outcome: "\(signOut.status); session still valid (\(stillIn))", held: signOut.status == 403 && stillIn == 200),
            AttackRow(attack: "CSRF", attempt: "cross-site admin form creating an admin 'mallory'",
                      outcome: "\(newAdmin.status); created: \(created)", held: newAdmin.status == 403 && !created),
            AttackRow(attack: "CSRF", attempt: "session cookie flags",
                      outcome: cookie.split(separator: ";").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", "),
                      held: cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict")),
        ]
    }

    /// Markup through each field, then every page that shows it: present only escaped. Nobody
    /// has judged the fixture's markup task yet, so it is the one carol's labeling page shows.
    private func markupInEveryField() async throws -> [AttackRow] {
        let named = try await client.send("POST", "/api/admin/annotators", headers: bearer(people.adminToken),
                                          body: #"{"name": \#(try quoted(attackName)), "role": "admin"}"#)
        let namedToken = try JSONDecoder().decode([String: String].self, from: Data(named.body.utf8))["token"] ?? ""
        let carol = try await client.signIn(people.carolToken)
        let markupAdmin = try await client.signIn(namedToken)
        func pages() async throws -> [String: String] {
            var html: [String: String] = [:]
            for (path, cookie) in [("/label", carol), ("/leaderboard", carol), ("/admin", markupAdmin)] {
                html[path] = try await client.send("GET", path, headers: [("Cookie", cookie)]).body
            }
            return html
        }
        let html = try await pages()
        func row(_ field: String, _ text: String, shownOn paths: [String]) -> AttackRow {
            let raw = paths.filter { html[$0]!.contains(text) }
            let escaped = paths.filter { html[$0]!.contains(htmlEscaped(text)) }
            return AttackRow(
                attack: "XSS", attempt: "markup as \(field)",
                outcome: raw.isEmpty ? "shown escaped on \(escaped.joined(separator: ", "))" : "RAW on \(raw.joined(separator: ", "))",
                held: raw.isEmpty && escaped.count == paths.count)
        }
        let task = people.tasks[0]
        _ = try await client.send("PUT", "/api/tasks/\(task.task.id!)/judgment", headers: bearer(people.carolToken), body: judgmentBody(task, text: attackMarkup))
        let stored = try await store.judgments(for: people.carolID).first?.judgment.reason == attackMarkup
        let after = try await pages()
        let rawAfter = after.filter { $0.value.contains(attackMarkup) }.keys.sorted()
        let api = try await client.send("GET", "/api/judgments", headers: bearer(people.carolToken))
        let inline = (Array(html.values) + Array(after.values)).filter { $0.contains("<script>") || $0.contains("<script type") }.count
        return [
            row("prompt", attackMarkup, shownOn: ["/label", "/admin"]),
            row("completion", attackMarkup, shownOn: ["/label"]),
            row("annotator name", attackName, shownOn: ["/leaderboard", "/admin"]),
            AttackRow(attack: "XSS", attempt: "markup as reason and better answer",
                      outcome: "stored: \(stored); raw on no page (\(rawAfter.isEmpty)); the API answers \(api.headers["content-type"] ?? "?"), nosniff",
                      held: stored && rawAfter.isEmpty && api.headers["content-type"]?.hasPrefix("application/json") == true
                        && api.headers["x-content-type-options"] == "nosniff"),
            AttackRow(attack: "XSS", attempt: "inline script on any page; the CSP header",
                      outcome: "\(inline) inline scripts; \(api.headers["content-security-policy"] ?? "no policy")",
                      held: inline == 0 && api.headers["content-security-policy"]?.contains("script-src 'self'") == true),
        ]
    }

    private func crossAnnotatorAccess() async throws -> [AttackRow] {
        let task = people.tasks[2]
        let saved = try await client.send("PUT", "/api/tasks/\(task.task.id!)/judgment", headers: bearer(people.aliceToken), body: judgmentBody(task))
        let id = try JSONDecoder().decode(Saved.self, from: Data(saved.body.utf8)).judgmentID
        let read = try await client.send("GET", "/api/judgments/\(id)", headers: bearer(people.bobToken))
        let bobsList = try await client.send("GET", "/api/judgments", headers: bearer(people.bobToken)).body
        let listed = try JSONDecoder().decode([Saved].self, from: Data(bobsList.utf8)).contains { $0.judgmentID == id }
        let overwrite = try await client.send("PUT", "/api/tasks/\(task.task.id!)/judgment", headers: bearer(people.bobToken), body: judgmentBody(task, reversed: true))
        let delete = try await client.send("DELETE", "/api/judgments/\(id)", headers: bearer(people.bobToken))
        let alices = try await store.judgment(id: id, for: people.aliceID)
        let intact = alices.tiers == task.completions.map { [$0.id!] }
        let adminAPI = try await client.send("GET", "/api/admin/tasks", headers: bearer(people.bobToken))
        return [
            AttackRow(attack: "cross-annotator", attempt: "bob reads alice's judgment by id", outcome: "\(read.status)", held: read.status == 404),
            AttackRow(attack: "cross-annotator", attempt: "bob lists judgments", outcome: listed ? "alice's listed" : "only his own", held: !listed),
            AttackRow(attack: "cross-annotator", attempt: "bob judges the task alice judged", outcome: "\(overwrite.status), stored as his own; alice's unchanged: \(intact)", held: intact),
            AttackRow(attack: "cross-annotator", attempt: "bob deletes alice's judgment", outcome: "\(delete.status); alice's still stored", held: delete.status == 404 && intact),
            AttackRow(attack: "cross-annotator", attempt: "bob calls the admin API", outcome: "\(adminAPI.status)", held: adminAPI.status == 403),
        ]
    }

    private func sessionsAndLimits() async throws -> [AttackRow] {
        let forged = try await client.send("GET", "/api/judgments", headers: [("Cookie", "rlhf_session=\(String(repeating: "0", count: 64))")])
        let alice = try await client.signIn(people.aliceToken)
        let token = try await client.csrfToken(cookie: alice)
        _ = try await client.send("POST", "/logout", headers: [("Cookie", alice), ("X-CSRF-Token", token)], body: "")
        let replayed = try await client.send("GET", "/api/judgments", headers: [("Cookie", alice)])
        let big = String(repeating: "x", count: Self.bodyLimit + 1)
        let declared = try await client.send("POST", "/api/admin/tasks", headers: bearer(people.adminToken), body: big)
        let chunked = try await client.send("POST", "/api/admin/tasks", headers: bearer(people.adminToken), body: big, chunked: true)
        let anonymous = try await client.send("POST", "/login", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: "token=" + big)
        var statuses: [Int] = []
        for task in people.tasks[3...] {
            statuses.append(try await client.send("PUT", "/api/tasks/\(task.task.id!)/judgment", headers: bearer(people.bobToken), body: judgmentBody(task)).status)
        }
        let bobsJudgments = try await store.judgments(for: people.bobID).count
        return [
            AttackRow(attack: "session", attempt: "forged session cookie", outcome: "\(forged.status)", held: forged.status == 401),
            AttackRow(attack: "session", attempt: "cookie replayed after sign-out", outcome: "\(replayed.status)", held: replayed.status == 401),
            AttackRow(attack: "oversize body", attempt: "\(big.utf8.count) bytes with Content-Length (limit \(Self.bodyLimit))", outcome: "\(declared.status)", held: declared.status == 413),
            AttackRow(attack: "oversize body", attempt: "\(big.utf8.count) bytes chunked, no length", outcome: "\(chunked.status)", held: chunked.status == 413),
            AttackRow(attack: "oversize body", attempt: "\(big.utf8.count)-byte sign-in form, anonymous", outcome: "\(anonymous.status)", held: anonymous.status == 413),
            AttackRow(attack: "vote flooding", attempt: "bob submits \(statuses.count) new judgments in a minute (limit \(Self.voteLimit) an hour)",
                      outcome: statuses.map(String.init).joined(separator: " ") + "; \(bobsJudgments) stored",
                      held: bobsJudgments <= Self.voteLimit && statuses.last == 429),
        ]
    }

    private func signInGuessing() async throws -> [AttackRow] {
        var statuses: [Int] = [], waits: [String] = []
        for guess in 0..<20 {
            let response = try await client.send(
                "POST", "/login", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: "token=guess-\(guess)")
            statuses.append(response.status)
            if let wait = response.headers["retry-after"] { waits.append(wait) }
        }
        let right = try await client.send("POST", "/login", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: "token=\(people.aliceToken)")
        let checked = statuses.filter { $0 == 401 }.count
        return [
            AttackRow(attack: "brute force", attempt: "20 wrong tokens from one address, as fast as possible",
                      outcome: "\(checked) checked (401), \(statuses.count - checked) refused unchecked (429, Retry-After \(Set(waits).sorted().joined(separator: "/")) s)",
                      held: checked < statuses.count / 2 && statuses.last == 429),
            AttackRow(attack: "brute force", attempt: "the right token right after", outcome: "\(right.status) until the wait is over", held: right.status == 429),
        ]
    }
}

/// The id in a judgment the API answers.
private struct Saved: Decodable {
    var judgmentID: Int64
}
