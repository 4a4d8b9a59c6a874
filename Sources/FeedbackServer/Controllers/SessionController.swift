// Signing in with an annotator token (which opens a cookie session) and signing out; failed
// sign-ins from one address are throttled.

import Feedback
import Foundation
import Hummingbird

/// The sign-in and sign-out routes.
struct SessionController {
    let store: FeedbackStore
    let pages: PageRenderer
    let configuration: FeedbackServerConfiguration
    let throttle: SignInThrottle

    /// The sign-in form's fields.
    struct SignInForm: Decodable {
        var token: String
    }

    func addRoutes(to router: Router<FeedbackRequestContext>) {
        router.get("/") { _, context in
            Response(status: .seeOther, headers: [.location: context.annotator == nil ? "/login" : "/label"])
        }
        router.get("login") { _, context in signInPage(context) }
        router.post("login", use: signIn)
        router.post("logout", use: signOut)
    }

    private func signInPage(_ context: FeedbackRequestContext, error: String? = nil, status: HTTPResponse.Status = .ok) -> Response {
        pages.page(
            "login", title: "Sign in", annotator: nil, csrfToken: context.csrfToken,
            values: error.map { ["error": $0] } ?? [:], status: status)
    }

    @Sendable func signIn(_ request: Request, context: FeedbackRequestContext) async throws -> Response {
        if let wait = await throttle.retryAfter(for: context.clientAddress) {
            let seconds = Int(wait.rounded(.up))
            var response = signInPage(
                context, error: "Too many failed sign-ins from your address: wait \(seconds) seconds.", status: .tooManyRequests)
            response.headers[.retryAfter] = String(seconds)
            return response
        }
        // Anyone may post here, so a sign-in is read only as far as a token can reach.
        let form = try? await RequestBodies.form(SignInForm.self, from: request, context: context, limit: 4096)
        guard let token = form?.token.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty,
              let annotator = try await store.annotator(forToken: token)
        else {
            await throttle.recordFailure(from: context.clientAddress)
            return signInPage(context, error: "That token is not valid.", status: .unauthorized)
        }
        await throttle.recordSuccess(from: context.clientAddress)
        // Signing in as someone else on a shared machine must not leave the last person signed in.
        if let previous = request.cookies[sessionCookieName]?.value { try await store.closeSession(previous) }
        let session = try await store.openSession(annotatorID: annotator.id!, lifetimes: configuration.sessionLifetimes, now: configuration.now())
        var response = Response(status: .seeOther, headers: [.location: "/label"])
        response.setCookie(sessionCookie(value: session, maxAge: Int(configuration.sessionLifetimes.absolute)))
        return response
    }

    @Sendable func signOut(_ request: Request, context: FeedbackRequestContext) async throws -> Response {
        if let session = request.cookies[sessionCookieName]?.value {
            try await store.closeSession(session)
        }
        var response = Response(status: .seeOther, headers: [.location: "/login"])
        response.setCookie(sessionCookie(value: "", maxAge: 0))
        return response
    }

    /// HttpOnly so page script never sees it, SameSite=Strict so no other site's request carries it.
    private func sessionCookie(value: String, maxAge: Int) -> Cookie {
        Cookie(name: sessionCookieName, value: value, maxAge: maxAge, path: "/", secure: configuration.secureCookies, httpOnly: true, sameSite: .strict)
    }
}
