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
        // Most values (figures, times, plain names) have nothing to escape: hand them back as they are.
        guard text.utf8.contains(where: mayNeedEscaping) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count)
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

    /// The bytes of the characters above: ASCII markup and controls, and 0xC2, the lead byte of U+0080...U+009F
    /// (and of other Latin-1 characters, which the slow path then keeps).
    private static func mayNeedEscaping(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "&"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "\""), UInt8(ascii: "'"),
            0x00...0x1F, 0x7F, 0xC2:
            true
        default: false
        }
    }
}
