/// An HTTP proxy that probes go through: where it listens, and the credentials it asks for. Pure.
///
/// Only `http://` proxies: HTTPS targets are tunnelled with `CONNECT` (TLS to the provider inside the tunnel),
/// plain-HTTP targets are sent to the proxy in absolute form, as Go's `net/http` does. A URL without a scheme
/// means `http://` (as in Go). The password never appears in a description or an error.
public struct ProbeProxy: Sendable, Hashable, CustomStringConvertible {
    /// Host name or IP literal, without IPv6 brackets, lowercased.
    public var host: String
    public var port: Int
    /// From the URL's userinfo, percent-decoded; sent as `Proxy-Authorization: Basic`.
    public var username: String?
    public var password: String?

    public init(host: String, port: Int, username: String? = nil, password: String? = nil) {
        self.host = host.lowercased()
        self.port = port
        self.username = username
        self.password = password
    }

    /// Why a proxy URL cannot be used. The messages never repeat the URL: it may hold a password.
    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        case unsupportedScheme(String)
        case invalid(String)

        public var description: String {
            switch self {
            case .unsupportedScheme(let scheme):
                return "\(scheme):// proxies are not supported; give an http:// proxy (HTTPS targets are tunnelled "
                    + "through it with CONNECT)"
            case .invalid(let why): return why
            }
        }
    }

    /// Parses `http://[user[:password]@]host[:port][/]`; `host:port` alone means `http://host:port`. The port
    /// defaults to 80.
    public static func parse(_ text: String) -> Result<ProbeProxy, Problem> {
        var rest = Substring(text)
        if let schemeEnd = text.firstRange(of: "://") {
            let scheme = text[..<schemeEnd.lowerBound].lowercased()
            guard scheme == "http" else {
                let known = ["https", "socks4", "socks4a", "socks5", "socks5h"]
                if known.contains(scheme) { return .failure(.unsupportedScheme(scheme)) }
                return .failure(.invalid("is not an http:// proxy URL"))
            }
            rest = text[schemeEnd.upperBound...]
        }
        // A path (Go ignores it) may only be "/".
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let trailer = rest[authorityEnd...]
        guard trailer.isEmpty || trailer == "/" else {
            return .failure(.invalid("a proxy URL has no path or query (only scheme, credentials, host and port)"))
        }
        var authority = rest[..<authorityEnd]
        var username: String?
        var password: String?
        if let at = authority.lastIndex(of: "@") {
            let userinfo = authority[..<at]
            authority = authority[authority.index(after: at)...]
            let parts = userinfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let user = percentDecoded(parts[0]), parts.count == 1 || percentDecoded(parts[1]) != nil else {
                return .failure(.invalid("the proxy credentials hold an invalid %-escape"))
            }
            username = user
            password = parts.count == 2 ? percentDecoded(parts[1]) : nil
        }
        guard let (host, port) = splitHostPort(authority) else {
            return .failure(.invalid("the proxy URL needs a host, and a port between 1 and 65535 if any"))
        }
        return .success(ProbeProxy(host: host, port: port ?? 80, username: username, password: password))
    }

    /// `http://user:<secret>@host:port`: what logs, errors and `/config` show.
    public var description: String {
        var credentials = ""
        if let username {
            credentials = percentEncoded(username) + (password == nil ? "" : ":<secret>") + "@"
        }
        let name = host.contains(":") ? "[\(host)]" : host
        return "http://\(credentials)\(name):\(port)"
    }

    /// The `Proxy-Authorization` value, when the URL has credentials.
    var authorization: String? {
        guard let username else { return nil }
        return "Basic " + base64(Array("\(username):\(password ?? "")".utf8))
    }

    /// What must never be repeated in a message.
    public var secrets: [String] { password.map { [$0] } ?? [] }
}

/// `%XX` escapes decoded; nil for a broken escape or bytes that are not UTF-8.
private func percentDecoded(_ text: Substring) -> String? {
    var bytes: [UInt8] = []
    var iterator = Array(text.utf8).makeIterator()
    while let byte = iterator.next() {
        guard byte == UInt8(ascii: "%") else {
            bytes.append(byte)
            continue
        }
        guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
            return nil
        }
        bytes.append(high << 4 | low)
    }
    return String(validating: bytes, as: UTF8.self)
}

private func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
    default: return nil
    }
}

/// Standard base64 with padding (RFC 4648), for the Basic credentials.
func base64(_ bytes: [UInt8]) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    var out: [UInt8] = []
    out.reserveCapacity((bytes.count + 2) / 3 * 4)
    var index = 0
    while index < bytes.count {
        let chunk = bytes[index..<min(index + 3, bytes.count)]
        let value = chunk.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (16 - 8 * UInt32($1.offset)) }
        for position in 0..<4 {
            out.append(position <= chunk.count ? alphabet[Int(value >> (18 - 6 * UInt32(position)) & 63)] : UInt8(ascii: "="))
        }
        index += 3
    }
    return String(decoding: out, as: UTF8.self)
}
