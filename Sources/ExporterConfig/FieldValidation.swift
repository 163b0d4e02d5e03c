#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Pure checks on single field values. Each returns what is wrong, or nil when the value is fine.

/// A base URL must be absolute http(s) with a host, without credentials, query or fragment
/// (paths such as `/models` are appended to it).
/// Messages show the URL without its query, fragment or user info: that is where keys get pasted (`?key=…`).
func baseURLProblem(_ text: String) -> String? {
    let notURL = "\(displayURL(text)) is not an http(s) URL"
    guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
        return notURL
    }
    guard scheme == "http" || scheme == "https" else { return notURL }
    guard let host = components.host, !host.isEmpty else { return "\(displayURL(text)) has no host" }
    // Never echo a URL that carries credentials.
    if components.user != nil || components.password != nil {
        return "must not contain credentials; use api_key_env or api_key_file"
    }
    if components.query != nil || components.fragment != nil {
        return "\(displayURL(text)) must not have a query or fragment"
    }
    return nil
}

/// A URL quoted for an error message, with what may carry a credential replaced by `…`: the query and fragment
/// (`?key=…`) and user info (`user:password@`). `<redacted>` when the whole text looks like a key.
func displayURL(_ text: String) -> String {
    if looksLikeSecret(text) { return "<redacted>" }
    var shown = Substring(text)
    var suffix = ""
    if let mark = shown.firstIndex(where: { $0 == "?" || $0 == "#" }) {
        suffix = String(shown[mark]) + "…"
        shown = shown[..<mark]
    }
    let authorityStart = shown.firstRange(of: "://")?.upperBound ?? shown.startIndex
    let authorityEnd = shown[authorityStart...].firstIndex(of: "/") ?? shown.endIndex
    if let at = shown[authorityStart..<authorityEnd].lastIndex(of: "@") {
        shown = shown[..<authorityStart] + "…" + shown[at...]
    }
    return displayValue(String(shown) + suffix)
}

/// The base URL as probes use it: without trailing slashes, so `{base}/models` has exactly one.
func normalizedBaseURL(_ text: String) -> String {
    var url = Substring(text)
    while url.hasSuffix("/") { url = url.dropLast() }
    return String(url)
}

/// RFC 9110 token characters, the only ones allowed in a header name.
func isHeaderToken(_ name: String) -> Bool {
    let extra: Set<Character> = ["!", "#", "$", "%", "&", "'", "*", "+", "-", ".", "^", "_", "`", "|", "~"]
    return !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || extra.contains($0)) }
}

/// POSIX-style variable names: letters, digits and underscores, not starting with a digit.
func isEnvironmentVariableName(_ name: String) -> Bool {
    guard let first = name.first, !first.isNumber else { return false }
    return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
}
