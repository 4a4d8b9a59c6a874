// Middleware: sign-in from cookie or bearer token, the body limit, store errors as HTTP statuses,
// page redirects, security headers.

import Feedback
import Foundation
import HTTPTypes
import Hummingbird

/// The session cookie's name.
let sessionCookieName = "rlhf_session"

/// Finds who is asking: a session cookie (browsers) or `Authorization: Bearer TOKEN` (scripts).
/// Unknown bearer tokens count as failed sign-ins of the address, under the sign-in page's
/// throttle: a script cannot guess tokens faster than the page can.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = FeedbackRequestContext
    let store: FeedbackStore
    let lifetimes: SessionLifetimes
    let throttle: SignInThrottle
    let now: @Sendable () -> Date

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization], header.hasPrefix("Bearer ") {
            if let wait = await throttle.retryAfter(for: context.clientAddress) {
                let seconds = Int(wait.rounded(.up))
                throw HTTPError(
                    .tooManyRequests, headers: [.retryAfter: String(seconds)],
                    message: "too many unknown tokens from your address: wait \(seconds) seconds")
            }
            context.annotator = try await store.annotator(forToken: String(header.dropFirst("Bearer ".count)))
            if context.annotator == nil {
                await throttle.recordFailure(from: context.clientAddress)
            } else {
                await throttle.recordSuccess(from: context.clientAddress)
            }
        } else if let session = request.cookies[sessionCookieName]?.value, !session.isEmpty {
            context.annotator = try await store.annotator(forSession: session, lifetimes: lifetimes, now: now())
            if context.annotator != nil { context.csrfToken = CrossSiteToken.forSession(session) }
        }
        return try await next(request, context)
    }
}

/// Refuses (413) a body longer than the limit as soon as its declared length shows it, before
/// reading any of it; a body sent without a length is cut off at the limit as it is read.
struct BodyLimitMiddleware: RouterMiddleware {
    typealias Context = FeedbackRequestContext
    let limit: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw HTTPError(.contentTooLarge, message: "the request body is \(declared) bytes; this server accepts at most \(limit)")
        }
        var context = context
        context.uploadLimit = limit
        return try await next(request, context)
    }
}

/// Turns the store's refusals into HTTP answers with the store's message.
struct FeedbackErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as FeedbackError {
            throw HTTPError(Self.status(of: error), message: error.description)
        } catch let error as FileFormatError {
            throw HTTPError(.badRequest, message: error.description)
        } catch let error as AdapterVersionError {
            throw HTTPError(Self.status(of: error), message: error.description)
        }
    }

    static func status(of error: AdapterVersionError) -> HTTPResponse.Status {
        switch error {
        case .notFound: .notFound
        case .wrongStatus, .alreadyTraining: .conflict
        }
    }

    private static func status(of error: FeedbackError) -> HTTPResponse.Status {
        switch error {
        case .taskNotFound, .judgmentNotFound, .completionNotFound, .annotatorNotFound: .notFound
        case .annotatorExists: .conflict
        case .voteLimitReached: .tooManyRequests
        default: .badRequest
        }
    }
}

/// On HTML pages, sends an anonymous visitor to the sign-in page instead of answering 401.
struct RedirectToSignInMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .unauthorized {
            return Response(status: .seeOther, headers: [.location: "/login"])
        }
    }
}

/// Security headers on every response: no inline script may run even if escaping ever failed,
/// no framing, no content sniffing.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        response.headers[.contentSecurityPolicy] =
            "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicy] = "no-referrer"
        return response
    }
}

extension HTTPField.Name {
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}
