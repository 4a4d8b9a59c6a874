// Shared fixtures for the server tests: a store with an admin, two annotators and a few tasks.

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import Feedback
import FeedbackTestSupport
@testable import FeedbackServer

/// A store, its people and tasks, and the application serving them.
struct ServerFixture {
    let store: FeedbackStore
    let adminToken: String
    let aliceToken: String
    let bobToken: String
    let aliceID: Int64
    let bobID: Int64
    /// Task 1: a plain pair. Task 2: three completions, one of them a script.
    let tasks: [TaskDetails]

    static let hostileText = #"<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">Bold <b>claim</b> & "quotes""#

    init(backend: StoreBackend = .sqlite, withTasks: Bool = true) async throws {
        store = try await backend.makeStore()
        adminToken = try await store.createAnnotator(name: "admin", role: .admin).token
        let alice = try await store.createAnnotator(name: "alice", role: .annotator)
        let bob = try await store.createAnnotator(name: "bob", role: .annotator)
        (aliceToken, aliceID, bobToken, bobID) = (alice.token, alice.annotator.id!, bob.token, bob.annotator.id!)
        var tasks: [TaskDetails] = []
        if withTasks {
            tasks.append(try await store.createTask(prompt: "The film opens with", completions: [
                NewCompletion(text: "a gorgeous, moving scene", provenance: Provenance(model: "policy-a")),
                NewCompletion(text: "a dull, pointless scene", provenance: Provenance(model: "policy-b")),
            ]))
            tasks.append(try await store.createTask(prompt: "Its cast is", completions: [
                NewCompletion(text: "superb", provenance: Provenance(model: "policy-a")),
                NewCompletion(text: Self.hostileText, provenance: Provenance(model: "policy-b")),
                NewCompletion(text: "forgettable", provenance: Provenance(model: "policy-c")),
            ]))
        }
        self.tasks = tasks
    }

    /// The application as `rlhf serve` builds it, with the echo stand-in as model unless told otherwise.
    func application(source: (any CompletionSource)? = EchoCompletionSource(), iteration: (any IterationControl)? = nil) throws -> some ApplicationProtocol {
        try buildApplication(
            configuration: FeedbackServerConfiguration(port: 0, leaderboardBootstrapRounds: 20), store: store, source: source, iteration: iteration)
    }
}

/// Headers signing a script in with its token.
func bearer(_ token: String, json: Bool = false) -> HTTPFields {
    var fields: HTTPFields = [.authorization: "Bearer \(token)"]
    if json { fields[.contentType] = "application/json" }
    return fields
}

/// A JSON request body.
func jsonBody(_ value: some Encodable) throws -> ByteBuffer {
    ByteBuffer(bytes: try JSONEncoder().encode(value))
}

/// A JSON response body decoded.
func decoded<T: Decodable>(_ type: T.Type, _ response: TestResponse) throws -> T {
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    return try decoder.decode(type, from: Data(buffer: response.body))
}

/// The error message of an error response.
func errorMessage(_ response: TestResponse) -> String? {
    struct Envelope: Decodable { struct Inner: Decodable { var message: String }; var error: Inner }
    return try? JSONDecoder().decode(Envelope.self, from: Data(buffer: response.body)).error.message
}

/// The CSRF token the pages of this session cookie ("rlhf_session=...") carry.
func csrfToken(_ cookie: String) -> String {
    CrossSiteToken.forSession(String(cookie.drop { $0 != "=" }.dropFirst()))
}

/// Headers of a form post from one of the server's pages: the session cookie and its CSRF token.
func pageForm(_ cookie: String) -> HTTPFields {
    [.contentType: "application/x-www-form-urlencoded", .cookie: cookie, .csrfToken: csrfToken(cookie)]
}

/// Headers of the page script's JSON request: the session cookie and its CSRF token.
func pageJSON(_ cookie: String) -> HTTPFields {
    [.contentType: "application/json", .cookie: cookie, .csrfToken: csrfToken(cookie)]
}

/// A URL-encoded form body.
func formBody(_ fields: [String: String]) -> ByteBuffer {
    let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
    return ByteBuffer(string: fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&"))
}

/// Signs in through the form and returns the session cookie ("rlhf_session=...").
func signIn(_ client: some TestClientProtocol, token: String) async throws -> String {
    let response = try await client.execute(
        uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
        body: ByteBuffer(string: "token=\(token)"))
    guard response.status == .seeOther, let setCookie = response.headers[.setCookie] else {
        throw HTTPError(.unauthorized, message: "sign-in failed with \(response.status)")
    }
    return String(setCookie.prefix { $0 != ";" })
}

/// The shape of a task in API responses.
struct TaskJSON: Decodable {
    struct Shown: Decodable { var id: Int64; var text: String }
    var taskID: Int64
    var prompt: String
    var completions: [Shown]
}

/// The shape of a judgment in API responses.
struct JudgmentJSON: Decodable {
    var judgmentID: Int64
    var taskID: Int64
    var tiers: [[Int64]]
    var bothBad: Bool
    var reason: String?
}

/// The body of a judgment request.
struct JudgmentBody: Encodable {
    var kind = "ranking"
    var tiers: [[Int64]]
    var bothBad = false
    var reason: String?
    var betterAnswer: String?
}
