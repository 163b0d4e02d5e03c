import NIOHTTP1

/// What every request passes before routing: basic auth (except for the unauthenticated paths) and the extra
/// response headers.
struct AccessPolicy: Sendable {
    var authenticator: BasicAuthenticator?
    var unauthenticatedPaths: Set<String>
    var responseHeaders: HTTPHeaders

    /// The 401 for missing or wrong credentials. It never says which part was wrong.
    static func unauthorized() -> HTTPResponse {
        var response = HTTPResponse.jsonError(
            .unauthorized, error: "authentication required", detail: "send valid basic auth credentials")
        response.headers.add(name: "www-authenticate", value: "Basic")
        return response
    }
}

/// A listen address: a host name or IP literal and a port (0: chosen by the system).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// As in Go: `host:port`, `[v6]:port`, and `:port` for every interface (IPv6 and IPv4).
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") {
            guard host.hasSuffix("]"), host.count > 2 else { return nil }
            host = String(host.dropFirst().dropLast())
        } else if host.contains(":") {
            // An IPv6 literal must be bracketed, or its last group reads as the port.
            return nil
        }
        self.init(host: host, port: port)
    }

    /// Empty host: every interface.
    public var isWildcard: Bool { host.isEmpty }

    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

public struct ListenError: Error, CustomStringConvertible {
    public var description: String
}
