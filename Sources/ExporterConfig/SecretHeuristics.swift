import HealthCore

/// Guards that keep key material out of error messages and descriptions.

/// Prefixes of the API keys common providers issue, case as issued (so `HF_TOKEN` is a name, `hf_…` a key).
private let keyPrefixes = ["sk-", "sk_", "hf_", "gsk_", "AIza", "nvapi-", "xai-", "pplx-", "r8_", "ghp_", "glpat-"]
/// Authorization schemes, compared case-insensitively.
private let schemePrefixes = ["bearer ", "basic "]

/// Whether a string is probably a credential that ended up in the wrong field (e.g. a key in `api_key_env`).
func looksLikeSecret(_ text: String) -> Bool {
    if keyPrefixes.contains(where: { text.hasPrefix($0) }) { return true }
    let lower = text.lowercased()
    if schemePrefixes.contains(where: { lower.hasPrefix($0) }) { return true }
    // Long opaque tokens: no spaces, path or URL punctuation, both letters and digits.
    guard text.count >= 32 else { return false }
    let opaque = !text.contains(where: { $0.isWhitespace || $0 == "/" || $0 == "." || $0 == ":" })
    return opaque && text.contains(where: \.isLetter) && text.contains(where: \.isNumber)
}

/// Whether a header carries credentials and must be shown as `<secret>`.
func isSecretHeaderName(_ name: String) -> Bool { isCredentialHeaderName(name) }

/// A value quoted for an error message, or `<redacted>` when it might be a secret.
func displayValue(_ text: String) -> String {
    if looksLikeSecret(text) { return "<redacted>" }
    let shown = text.count > 80 ? String(text.prefix(80)) + "…" : text
    return quoted(shown)
}

/// A YAML double-quoted string, so quotes, newlines and control characters stay readable in messages, and
/// `GET /config` parses back to the same text: every character YAML does not allow as it is, or reads as a line
/// break (C0 and C1 controls, DEL, NEL, U+2028/U+2029, U+FEFF, U+FFFE/U+FFFF), becomes a `\uXXXX` escape.
func quoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if needsYAMLEscape(scalar) {
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}

/// Whether YAML (as libyaml reads it) refuses a character in a document, or takes it for a line break.
func needsYAMLEscape(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0..<0x20, 0x7F...0x9F, 0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF: true
    default: false
    }
}
