import Foundation

/// The HTTP proxies probes go through, as the conventional environment variables name them: `HTTPS_PROXY` for
/// https providers, `HTTP_PROXY` for http ones, `NO_PROXY` for the hosts reached directly. Pure.
///
/// The rules are curl's: the lower-case variable wins over the upper-case one; a `NO_PROXY` entry matches the
/// host and its subdomains (`example.com` and `.example.com` both match `api.example.com`), `host:port` only that
/// port, `*` every host. No host is reached directly unless listed: a provider on loopback needs
/// `NO_PROXY=localhost,127.0.0.1`. CIDR ranges are not supported.
public struct ProbeProxy: Sendable, Equatable {
    /// An HTTP proxy (requests are tunnelled through it with `CONNECT`), with optional basic credentials.
    public struct Server: Sendable, Hashable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public var username: String?
        public var password: String?

        public init(host: String, port: Int, username: String? = nil, password: String? = nil) {
            self.host = host
            self.port = port
            self.username = username
            self.password = password
        }

        /// Parses `http://[user:password@]host[:port][/]` or `host[:port]`; the port defaults to 80 as in curl.
        /// nil for other schemes (a TLS connection to the proxy itself is not supported) or a malformed value.
        public init?(url text: String) {
            var rest = Substring(text.trimmingCharacters(in: .whitespaces))
            if let schemeEnd = rest.range(of: "://") {
                guard rest[..<schemeEnd.lowerBound].lowercased() == "http" else { return nil }
                rest = rest[schemeEnd.upperBound...]
            }
            if rest.hasSuffix("/") { rest = rest.dropLast() }
            if let at = rest.lastIndex(of: "@") {
                let credentials = rest[..<at]
                rest = rest[rest.index(after: at)...]
                let parts = credentials.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
                    .map { String($0).removingPercentEncoding ?? String($0) }
                username = parts[0]
                password = parts.count > 1 ? parts[1] : ""
            }
            guard let url = ProbeURL("http://" + rest), url.target == "/" else { return nil }
            host = url.origin.host
            port = url.origin.port
        }

        /// `http://host:port`: the credentials are never shown.
        public var description: String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)" }
    }

    public var httpsServer: Server?
    public var httpServer: Server?
    /// `NO_PROXY` entries, lowercased, without a leading `*.` or `.`.
    public var bypass: [String]

    public init(httpsServer: Server? = nil, httpServer: Server? = nil, bypass: [String] = []) {
        self.httpsServer = httpsServer
        self.httpServer = httpServer
        self.bypass = bypass.compactMap(Self.bypassEntry)
    }

    /// No proxy at all.
    public static let none = ProbeProxy()

    /// The proxies the environment names, and the names of the variables set to something that is not a proxy URL
    /// (for a warning; their values may hold credentials and are not returned).
    public static func fromEnvironment(_ environment: [String: String]) -> (proxy: ProbeProxy, invalid: [String]) {
        var invalid: [String] = []
        func server(_ name: String) -> Server? {
            for variable in [name.lowercased(), name] {
                guard let value = environment[variable], !value.isEmpty else { continue }
                if let server = Server(url: value) { return server }
                invalid.append(variable)
                return nil
            }
            return nil
        }
        let noProxy = environment["no_proxy"].flatMap { $0.isEmpty ? nil : $0 } ?? environment["NO_PROXY"] ?? ""
        let proxy = ProbeProxy(
            httpsServer: server("HTTPS_PROXY"), httpServer: server("HTTP_PROXY"),
            bypass: noProxy.split(separator: ",").map(String.init))
        return (proxy, invalid)
    }

    /// The proxy a request to `origin` goes through; nil to connect directly.
    public func server(for origin: ProbeURL.Origin) -> Server? {
        guard let server = origin.scheme == .https ? httpsServer : httpServer else { return nil }
        return bypass.contains { Self.matches($0, origin) } ? nil : server
    }

    private static func bypassEntry(_ raw: String) -> String? {
        var entry = raw.trimmingCharacters(in: .whitespaces).lowercased()
        if entry.hasPrefix("*.") { entry.removeFirst(2) } else if entry.hasPrefix(".") { entry.removeFirst() }
        return entry.isEmpty ? nil : entry
    }

    private static func matches(_ entry: String, _ origin: ProbeURL.Origin) -> Bool {
        if entry == "*" { return true }
        var host = Substring(entry)
        var port: Int?
        if host.first == "[", let close = host.firstIndex(of: "]") {
            // [::1] or [::1]:8080
            let after = host[host.index(after: close)...]
            port = after.first == ":" ? Int(after.dropFirst()) : nil
            host = host[host.index(after: host.startIndex)..<close]
        } else if host.filter({ $0 == ":" }).count == 1, let colon = host.firstIndex(of: ":") {
            port = Int(host[host.index(after: colon)...])
            host = host[..<colon]
        }
        if let port, port != origin.port { return false }
        return origin.host == host || origin.host.hasSuffix("." + host)
    }
}
