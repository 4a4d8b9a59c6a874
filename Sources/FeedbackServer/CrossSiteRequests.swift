// CSRF protection: a request that a session cookie signs in must prove it came from one of this
// server's pages by carrying the session's token, as a hidden form field or a request header.

import Feedback
import Foundation
import HTTPTypes
import Hummingbird

/// The session's CSRF token: derived from the session token, so nothing more is stored, and
/// unguessable without the HttpOnly cookie that another site's page can neither read nor forge.
enum CrossSiteToken {
    /// The hidden form field that carries the token.
    static let formField = "csrf"

    static func forSession(_ session: String) -> String {
        TokenDigest.digest("csrf token of session " + session)
    }

    /// Compares in time independent of where the strings first differ.
    static func matches(_ presented: String, _ expected: String) -> Bool {
        let a = Array(presented.utf8), b = Array(expected.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// Refuses (403) a state-changing request signed in by cookie unless it carries the session's
/// token. Bearer-token requests (scripts, the load tool) are exempt: a browser never attaches an
/// Authorization header on its own, so another site cannot make one.
struct CrossSiteRequestMiddleware: RouterMiddleware {
    typealias Context = FeedbackRequestContext
    private static let safeMethods: Set<HTTPRequest.Method> = [.get, .head, .options]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !Self.safeMethods.contains(request.method) else { return try await next(request, context) }
        guard let expected = context.csrfToken else {
            // Without a session (signing in) there is no token to ask for; another site's page
            // posting its own token would sign the victim's browser in as the attacker, whose
            // account would then collect the victim's chats and judgments.
            if request.headers[.authorization] == nil, Self.comesFromAnotherSite(request) {
                let from = request.headers[.origin] ?? request.headers[.fetchSite] ?? "another site"
                throw HTTPError(.forbidden, message: "sign in from this server's own page: the browser says this request came from \(from)")
            }
            return try await next(request, context)
        }
        var request = request
        let presented: String?
        if let header = request.headers[.csrfToken] {
            presented = header
        } else if request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true {
            // Collected into the request, so the route decodes the same bytes again.
            let body = try await request.collectBody(upTo: context.maxUploadSize)
            presented = (try? RequestBodies.form([String: String].self, from: Array(buffer: body)))?[CrossSiteToken.formField]
        } else {
            presented = nil
        }
        guard let presented, CrossSiteToken.matches(presented, expected) else {
            throw HTTPError(.forbidden, message: "this request lacks the page's CSRF token: reload the page and try again")
        }
        return try await next(request, context)
    }

    /// Whether the browser says the request comes from another site's page: by Sec-Fetch-Site,
    /// or by an Origin whose host and port are not the ones the request was sent to. Our pages'
    /// no-referrer policy makes browsers send `Origin: null` from them, which tells nothing.
    static func comesFromAnotherSite(_ request: Request) -> Bool {
        if let site = request.headers[.fetchSite], !["same-origin", "none"].contains(site) { return true }
        guard let origin = request.headers[.origin], origin != "null",
              let authority = request.head.authority ?? request.headers[.hostHeader] else { return false }
        guard let url = URL(string: origin), let host = url.host else { return true }
        return (url.port.map { "\(host):\($0)" } ?? host).lowercased() != authority.lowercased()
    }
}

extension HTTPField.Name {
    static let fetchSite = Self("Sec-Fetch-Site")!
    /// HTTP/1's Host, for requests whose authority was not taken from it.
    static let hostHeader = Self("Host")!

    /// The header the page script sends its CSRF token in.
    static let csrfToken = Self("X-CSRF-Token")!
}
