import Mustache

/// How every `{{ }}` of the page's templates escapes its value. Mustache's own HTML content type escapes the
/// five markup characters only; HTML also forbids control characters, and error bodies carry them (ANSI colour
/// codes, NUL), so they become U+FFFD here. Each template opts in with `{{% CONTENT_TYPE: STATUS_PAGE_HTML }}`
/// on its first line: Mustache starts every partial over with its own HTML type.
struct PageContentType: MustacheContentType {
    static let name = "STATUS_PAGE_HTML"
    static let pragma = "{{% CONTENT_TYPE: \(name) }}"

    func escapeText(_ text: String) -> String {
        Self.escape(text)
    }

    /// Safe in element content and in double- or single-quoted attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            case "\u{0}"..."\u{1F}", "\u{7F}"..."\u{9F}": out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
