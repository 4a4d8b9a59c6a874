// The attacker's HTTP client for `--attacks`: raw requests with whatever cookies, tokens and
// bodies an attack needs, no redirects followed, answers read whole.

import AsyncHTTPClient
import Foundation
import NIOCore

/// One answer: status, headers (by lower-case name) and body text.
struct AttackResponse {
    var status: Int
    var headers: [String: String]
    var body: String
}

/// Requests against one server.
struct AttackClient {
    let http: HTTPClient
    let base: String

    /// A page's origin in attacks that pretend to come from another site.
    static let foreignOrigin = "https://attacker.example"

    /// Sends a request; `body` goes as given, `chunked` sends it without a length.
    func send(
        _ method: String, _ path: String, headers: [(String, String)] = [], body: String? = nil, chunked: Bool = false
    ) async throws -> AttackResponse {
        var request = HTTPClientRequest(url: base + path)
        request.method = .init(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            let bytes = ByteBuffer(string: body)
            request.body = chunked
                ? .stream(ChunkSequence(buffer: bytes), length: .unknown)
                : .bytes(bytes)
        }
        let response = try await http.execute(request, timeout: .seconds(30))
        let text = try await response.body.collect(upTo: 64 << 20)
        let headers = Dictionary(response.headers.map { ($0.name.lowercased(), $0.value) }) { first, _ in first }
        return AttackResponse(status: Int(response.status.code), headers: headers, body: String(buffer: text))
    }

    /// Signs in with `token` and returns the cookie header value ("rlhf_session=...").
    func signIn(_ token: String) async throws -> String {
        let response = try await send("POST", "/login", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: "token=\(token)")
        guard response.status == 303, let cookie = response.headers["set-cookie"]?.split(separator: ";").first else {
            throw LoadError(description: "sign-in answered \(response.status)")
        }
        return String(cookie)
    }

    /// The CSRF token a page of this session carries (scraped as a browser's script would read it).
    func csrfToken(cookie: String) async throws -> String {
        let page = try await send("GET", "/label", headers: [("Cookie", cookie)]).body
        guard let start = page.range(of: #"<meta name="csrf-token" content=""#) else {
            throw LoadError(description: "the labeling page has no CSRF token")
        }
        return String(page[start.upperBound...].prefix { $0 != "\"" })
    }
}

/// A body sent in 64 KiB pieces without a declared length.
private struct ChunkSequence: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let buffer: ByteBuffer

    struct AsyncIterator: AsyncIteratorProtocol {
        var rest: ByteBuffer
        mutating func next() async -> ByteBuffer? {
            guard rest.readableBytes > 0 else { return nil }
            return rest.readSlice(length: Swift.min(65536, rest.readableBytes))
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(rest: buffer) }
}

/// What one attack tried and what came of it.
struct AttackRow {
    var attack: String
    var attempt: String
    var outcome: String
    var held: Bool
}

/// Text as the pages' mustache templates escape it.
func htmlEscaped(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "'", with: "&#39;")
}
