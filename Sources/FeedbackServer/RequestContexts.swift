// Request contexts: who is asking (if anyone), and the child contexts that insist on it.

import Feedback
import Hummingbird

/// The context of every request: the annotator the session cookie or bearer token signs in, if any.
package struct FeedbackRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    /// Set by `AuthenticationMiddleware`.
    package var annotator: Annotator?
    /// The token state-changing requests must carry; set only when a session cookie signed the
    /// annotator in, since only cookies are sent by a browser on another site's behalf.
    package var csrfToken: String?
    /// The largest body accepted, set by `BodyLimitMiddleware` from the configuration.
    package var uploadLimit = FeedbackServerConfiguration.defaultBodyLimit
    /// The peer's IP address, which sign-in throttling counts failures by.
    package let clientAddress: String

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    package var maxUploadSize: Int { uploadLimit }
}

/// A request from a signed-in annotator; building it from an anonymous request answers 401.
package struct SignedInContext: ChildRequestContext {
    package var coreContext: CoreRequestContextStorage
    /// Who is asking.
    package let annotator: Annotator
    /// The CSRF token the pages embed (nil for bearer-token requests).
    package let csrfToken: String?
    private let uploadLimit: Int

    package init(context: FeedbackRequestContext) throws {
        guard let annotator = context.annotator else { throw HTTPError(.unauthorized, message: "sign in first") }
        coreContext = context.coreContext
        self.annotator = annotator
        csrfToken = context.csrfToken
        uploadLimit = context.uploadLimit
    }

    /// The annotator's row id (always set for stored annotators).
    package var annotatorID: Int64 { annotator.id! }

    package var maxUploadSize: Int { uploadLimit }
}

/// A request from a signed-in administrator: 401 when anonymous, 403 for other annotators.
package struct AdminContext: ChildRequestContext {
    package var coreContext: CoreRequestContextStorage
    /// The administrator asking.
    package let annotator: Annotator
    /// The CSRF token the pages embed (nil for bearer-token requests).
    package let csrfToken: String?
    private let uploadLimit: Int

    package init(context: FeedbackRequestContext) throws {
        guard let annotator = context.annotator else { throw HTTPError(.unauthorized, message: "sign in first") }
        guard annotator.role == .admin else { throw HTTPError(.forbidden, message: "administrators only") }
        coreContext = context.coreContext
        self.annotator = annotator
        csrfToken = context.csrfToken
        uploadLimit = context.uploadLimit
    }

    package var maxUploadSize: Int { uploadLimit }
}
