// Request contexts: who is asking (if anyone), and the child contexts that insist on it.

import Feedback
import Hummingbird

/// The largest request body accepted: room for a task file pasted by an administrator.
private let uploadLimit = 16 * 1024 * 1024

/// The context of every request: the annotator the session cookie or bearer token signs in, if any.
package struct FeedbackRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    /// Set by `AuthenticationMiddleware`.
    package var annotator: Annotator?

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    package var maxUploadSize: Int { uploadLimit }
}

/// A request from a signed-in annotator; building it from an anonymous request answers 401.
package struct SignedInContext: ChildRequestContext {
    package var coreContext: CoreRequestContextStorage
    /// Who is asking.
    package let annotator: Annotator

    package init(context: FeedbackRequestContext) throws {
        guard let annotator = context.annotator else { throw HTTPError(.unauthorized, message: "sign in first") }
        coreContext = context.coreContext
        self.annotator = annotator
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

    package init(context: FeedbackRequestContext) throws {
        guard let annotator = context.annotator else { throw HTTPError(.unauthorized, message: "sign in first") }
        guard annotator.role == .admin else { throw HTTPError(.forbidden, message: "administrators only") }
        coreContext = context.coreContext
        self.annotator = annotator
    }

    package var maxUploadSize: Int { uploadLimit }
}
