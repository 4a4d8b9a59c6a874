// Renders the HTML pages from the escaped-only mustache templates.

import Feedback
import Hummingbird
import Mustache
import TextFiles

/// Turns a template and its values into an HTML response.
struct PageRenderer: Sendable {
    private let library: MustacheLibrary

    /// Parses every template; a template that does not parse is a programming error caught by tests.
    init() throws {
        MustacheContentTypes.register(ScalarHTMLEscaping(), named: ScalarHTMLEscaping.name)
        var library = MustacheLibrary()
        for (name, template) in PageTemplates.all {
            // Each template and partial starts over with the library's own escaping, so each names ours.
            try library.register("{{% CONTENT_TYPE: \(ScalarHTMLEscaping.name)}}" + template, named: name)
        }
        self.library = library
    }

    /// The page `template` for `annotator` (nil on the sign-in page), with the page's own values.
    /// `csrfToken` goes into every form and the page's meta tag, where the script finds it.
    func page(
        _ template: String, title: String, annotator: Annotator?, csrfToken: String?, values: [String: Any] = [:],
        status: HTTPResponse.Status = .ok
    ) -> Response {
        var context: [String: Any] = [
            "title": title, "page": template, "signedIn": annotator != nil,
            "isAdmin": annotator?.role == .admin, "annotatorName": annotator?.name ?? "", "csrfToken": csrfToken ?? "",
        ]
        context.merge(values) { _, page in page }
        let html = library.render(context, withTemplate: template) ?? ""
        return Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

/// HTML escaping scalar by scalar, as a browser parses. The library's own escaping compares whole
/// Characters, and a grapheme cluster that holds "<" or a quote (U+0600 then "<": a prepended mark
/// joins the next character; a quote then a combining accent) is not equal to "<", so it went out
/// raw and model output could open a tag or leave an attribute.
struct ScalarHTMLEscaping: MustacheContentType {
    static let name = "HTML_SCALARS"

    func escapeText(_ text: String) -> String { markupEscaped(text) }
}

/// A fixed text asset served with a content type.
struct StaticAsset: ResponseGenerator {
    let contentType: String
    let text: String

    func response(from request: Request, context: some RequestContext) -> Response {
        Response(status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
