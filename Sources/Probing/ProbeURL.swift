/// Where a request goes: an absolute http(s) URL split into the origin a connection is made to and the
/// request target sent on it. Pure.
public struct ProbeURL: Sendable, Equatable {
    public enum Scheme: String, Sendable { case http, https }

    /// The connection a request needs; requests to the same origin share pooled connections.
    public struct Origin: Sendable, Hashable {
        public var scheme: Scheme
        /// Host name or IP literal, without IPv6 brackets, lowercased.
        public var host: String
        public var port: Int

        /// `Host` header value: the port only when it is not the scheme's default.
        public var hostHeader: String {
            let name = host.contains(":") ? "[\(host)]" : host
            let defaultPort = scheme == .https ? 443 : 80
            return port == defaultPort ? name : "\(name):\(port)"
        }

        /// `host:port` as a `CONNECT` request names it (IPv6 literals in brackets).
        public var authority: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

        /// The host is an IPv4 or IPv6 literal (no DNS lookup, no TLS server name).
        public var hostIsIPLiteral: Bool {
            host.contains(":") || (!host.isEmpty && host.allSatisfy { $0.isNumber || $0 == "." })
        }
    }

    public var origin: Origin
    /// Path and query, as sent in the request line (`/v1/models?x=1`); never empty.
    public var target: String

    /// Scheme, authority and target: what a redirect loop repeats.
    public var key: String { "\(origin.scheme.rawValue)://\(origin.hostHeader)\(target)" }

    /// Parses `text`; nil unless it is an absolute http or https URL with a host. A fragment is dropped.
    public init?(_ text: String) {
        guard let schemeEnd = text.firstRange(of: "://") else { return nil }
        guard let scheme = Scheme(rawValue: text[..<schemeEnd.lowerBound].lowercased()) else { return nil }
        var rest = text[schemeEnd.upperBound...]
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var target = String(rest[authorityEnd...])
        if target.isEmpty || target.first == "?" { target = "/" + target }
        // Credentials in the URL are not supported: they would travel in clear text in logs and headers.
        guard !authority.contains("@") else { return nil }
        guard let (host, port) = splitHostPort(authority),
            !target.contains(where: { $0.isWhitespace || $0.isNewline })
        else { return nil }
        self.origin = Origin(scheme: scheme, host: host.lowercased(), port: port ?? (scheme == .https ? 443 : 80))
        self.target = target
    }

    /// The URL a `Location` header points to, resolved against this one; nil when it is not http(s).
    public func resolving(location: String) -> ProbeURL? {
        if location.contains("://") { return ProbeURL(location) }
        if location.hasPrefix("//") {
            return ProbeURL(origin.scheme.rawValue + ":" + location)
        }
        var resolved = self
        if location.hasPrefix("/") {
            resolved.target = location
        } else {
            // Relative to the current path's directory.
            let pathOnly = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
            let directory = pathOnly.lastIndex(of: "/").map { pathOnly[...$0] } ?? "/"
            resolved.target = String(directory) + location
        }
        if let hash = resolved.target.firstIndex(of: "#") { resolved.target = String(resolved.target[..<hash]) }
        guard !resolved.target.contains(where: { $0.isWhitespace || $0.isNewline }) else { return nil }
        return resolved
    }
}

/// The authority of a provider or proxy URL: `host`, `host:port`, `[v6]`, `[v6]:port`; nil when there is no valid
/// host (an IPv6 literal must be bracketed) or the port is not 1...65535.
func splitHostPort(_ authority: Substring) -> (String, Int?)? {
    var host: Substring
    var portText: Substring?
    if authority.first == "[" {
        guard let close = authority.firstIndex(of: "]") else { return nil }
        host = authority[authority.index(after: authority.startIndex)..<close]
        let after = authority[authority.index(after: close)...]
        if !after.isEmpty {
            guard after.first == ":" else { return nil }
            portText = after.dropFirst()
        }
    } else {
        host = authority
        if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        }
        guard !host.contains(":") else { return nil }
    }
    guard !host.isEmpty, host.unicodeScalars.allSatisfy(isHostScalar) else { return nil }
    guard let portText else { return (String(host), nil) }
    guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy(\.isASCII), let port = Int(portText),
        (1...65535).contains(port)
    else { return nil }
    return (String(host), port)
}

/// Letters, digits, `-`, `.`, `_` and (IPv6 literals) `:`: no spaces, controls, `%` or non-ASCII.
private func isHostScalar(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar {
    case "a"..."z", "A"..."Z", "0"..."9", "-", ".", "_", ":": return true
    default: return false
    }
}
