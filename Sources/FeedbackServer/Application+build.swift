// Assembles the feedback web server: configuration, router, middleware and controllers.

import Feedback
import Foundation
import Hummingbird
import Logging

/// How the feedback server runs.
package struct FeedbackServerConfiguration: Sendable {
    /// Address to listen on; loopback unless told otherwise, since annotator tokens travel in clear HTTP.
    package var host: String
    /// Port to listen on (0 picks a free one).
    package var port: Int
    /// Mark the session cookie Secure (set when a TLS proxy fronts the server).
    package var secureCookies: Bool
    /// Bootstrap resamples behind the leaderboard's intervals.
    package var leaderboardBootstrapRounds: Int
    /// Seed of the leaderboard's bootstrap, so the same judgments always show the same intervals.
    package var leaderboardSeed: UInt64
    /// How long a browser session lasts, idle and at most.
    package var sessionLifetimes: SessionLifetimes
    /// The largest request body accepted; longer ones are answered 413.
    package var bodyLimit: Int
    /// How failed sign-ins slow down the next attempt from the same address.
    package var signInThrottling: SignInThrottle.Policy
    /// The most new judgments one annotator may make in a window; nil for no limit.
    package var voteLimit: VoteLimit?
    /// The clock sessions and sign-in throttling read; tests step it by hand.
    package var now: @Sendable () -> Date

    /// Room for a task file pasted by an administrator.
    package static let defaultBodyLimit = 16 * 1024 * 1024

    /// Creates a configuration; the defaults listen on 127.0.0.1:8080.
    package init(
        host: String = "127.0.0.1", port: Int = 8080, secureCookies: Bool = false,
        leaderboardBootstrapRounds: Int = 100, leaderboardSeed: UInt64 = 0, sessionLifetimes: SessionLifetimes = .standard,
        bodyLimit: Int = defaultBodyLimit, signInThrottling: SignInThrottle.Policy = .standard, voteLimit: VoteLimit? = nil,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.host = host
        self.port = port
        self.secureCookies = secureCookies
        self.leaderboardBootstrapRounds = leaderboardBootstrapRounds
        self.leaderboardSeed = leaderboardSeed
        self.sessionLifetimes = sessionLifetimes
        self.bodyLimit = bodyLimit
        self.signInThrottling = signInThrottling
        self.voteLimit = voteLimit
        self.now = now
    }
}

/// The router with every route of the feedback server.
///
/// `source` writes completions for chat and task generation; without one those routes answer 503
/// and everything else (labeling imported tasks, the leaderboard, administration) works.
/// `iteration`, when given, is the iterate loop whose rounds the admin page starts.
package func buildRouter(
    store: FeedbackStore, source: (any CompletionSource)?, iteration: (any IterationControl)? = nil,
    configuration: FeedbackServerConfiguration = .init()
) throws -> Router<FeedbackRequestContext> {
    let pages = try PageRenderer()
    let router = Router(context: FeedbackRequestContext.self)
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(middleware: FeedbackErrorMiddleware())
    router.add(middleware: BodyLimitMiddleware(limit: configuration.bodyLimit))
    let throttle = SignInThrottle(policy: configuration.signInThrottling, now: configuration.now)
    router.add(middleware: AuthenticationMiddleware(store: store, lifetimes: configuration.sessionLifetimes, throttle: throttle, now: configuration.now))
    router.add(middleware: CrossSiteRequestMiddleware())
    router.get("healthz") { _, _ in "ok" }
    router.get("static/app.js") { _, _ in StaticAsset(contentType: "text/javascript; charset=utf-8", text: StaticScript.source) }
    router.get("static/style.css") { _, _ in StaticAsset(contentType: "text/css; charset=utf-8", text: StaticStyle.source) }
    SessionController(
        store: store, pages: pages, configuration: configuration,
        throttle: throttle
    ).addRoutes(to: router)

    let signedInPages = router.group().add(middleware: RedirectToSignInMiddleware()).group(context: SignedInContext.self)
    let signedInAPI = router.group("api", context: SignedInContext.self)
    LabelingController(store: store, pages: pages, voteLimit: configuration.voteLimit, now: configuration.now)
        .addRoutes(pages: signedInPages, api: signedInAPI)
    ChatController(store: store, pages: pages, source: source).addRoutes(pages: signedInPages, api: signedInAPI)
    LeaderboardController(
        store: store, pages: pages, bootstrapRounds: configuration.leaderboardBootstrapRounds, seed: configuration.leaderboardSeed
    ).addRoutes(pages: signedInPages, api: signedInAPI)

    let adminPages = router.group().add(middleware: RedirectToSignInMiddleware()).group(context: AdminContext.self)
    let adminAPI = router.group("api", context: AdminContext.self)
    AdminController(store: store, pages: pages, source: source, iteration: iteration).addRoutes(pages: adminPages, api: adminAPI)
    return router
}

/// The feedback server application, ready to `runService()`.
package func buildApplication(
    configuration: FeedbackServerConfiguration, store: FeedbackStore, source: (any CompletionSource)?,
    iteration: (any IterationControl)? = nil, logger: Logger? = nil, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> Application<RouterResponder<FeedbackRequestContext>> {
    Application(
        router: try buildRouter(store: store, source: source, iteration: iteration, configuration: configuration),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "rlhf-feedback"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
}
