// Signing in with an annotator token (which opens a cookie session) and signing out.

import Feedback
import Foundation
import Hummingbird

/// The sign-in and sign-out routes.
struct SessionController {
    let store: FeedbackStore
    let pages: PageRenderer
    let secureCookies: Bool

    /// The sign-in form's fields.
    struct SignInForm: Decodable {
        var token: String
    }

    func addRoutes(to router: Router<FeedbackRequestContext>) {
        router.get("/") { _, context in
            Response(status: .seeOther, headers: [.location: context.annotator == nil ? "/login" : "/label"])
        }
        router.get("login") { _, _ in pages.page("login", title: "Sign in", annotator: nil) }
        router.post("login", use: signIn)
        router.post("logout", use: signOut)
    }

    @Sendable func signIn(_ request: Request, context: FeedbackRequestContext) async throws -> Response {
        let form = try? await RequestBodies.form(SignInForm.self, from: request, context: context)
        guard let token = form?.token.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty,
              let annotator = try await store.annotator(forToken: token)
        else {
            return pages.page("login", title: "Sign in", annotator: nil, values: ["error": "That token is not valid."], status: .unauthorized)
        }
        let session = try await store.openSession(annotatorID: annotator.id!)
        var response = Response(status: .seeOther, headers: [.location: "/label"])
        response.setCookie(Cookie(
            name: sessionCookieName, value: session, maxAge: Int(FeedbackStore.sessionLifetime), path: "/",
            secure: secureCookies, httpOnly: true, sameSite: .strict))
        return response
    }

    @Sendable func signOut(_ request: Request, context: FeedbackRequestContext) async throws -> Response {
        if let session = request.cookies[sessionCookieName]?.value {
            try await store.closeSession(session)
        }
        var response = Response(status: .seeOther, headers: [.location: "/login"])
        response.setCookie(Cookie(
            name: sessionCookieName, value: "", maxAge: 0, path: "/", secure: secureCookies, httpOnly: true, sameSite: .strict))
        return response
    }
}
