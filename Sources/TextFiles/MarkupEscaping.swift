// One escaper for every page and plot that shows untrusted text (model output above all).

/// Escapes text for HTML and XML, content and attribute values alike, Unicode scalar by scalar as
/// a browser parses. Comparing whole Characters instead misses a "<" or quote that a neighbouring
/// scalar joins into one grapheme cluster (U+0600 before "<", an accent after a quote), and lets
/// it through raw.
public func markupEscaped(_ text: String) -> String {
    var escaped = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
        switch scalar {
        case "<": escaped.append(contentsOf: "&lt;".unicodeScalars)
        case ">": escaped.append(contentsOf: "&gt;".unicodeScalars)
        case "&": escaped.append(contentsOf: "&amp;".unicodeScalars)
        case "\"": escaped.append(contentsOf: "&quot;".unicodeScalars)
        case "'": escaped.append(contentsOf: "&#39;".unicodeScalars)
        default: escaped.append(scalar)
        }
    }
    return String(escaped)
}
