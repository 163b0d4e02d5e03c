#if canImport(Glibc)
    import Glibc
#endif

/// Which proxy a probe goes through when its provider names none: `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY`,
/// read with exactly the rules of Go's `golang.org/x/net/http/httpproxy` (what `http.ProxyFromEnvironment` and
/// so every Go exporter uses), so that one environment means the same to this exporter as to its neighbours:
///
/// - each variable's upper-case name wins over its lower-case one when both are set and not empty;
/// - an `https` target uses `HTTPS_PROXY` only, an `http` target `HTTP_PROXY` only;
/// - `localhost` and loopback IPs are never proxied;
/// - `NO_PROXY` is a comma-separated list: `*` (nothing is proxied), IPs and CIDRs (`10.0.0.0/8`), domains
///   (`example.com` matches it and its subdomains, `.example.com` and `*.example.com` only subdomains), each
///   optionally with a port (`example.com:443`, `[2001:db8::1]:443`), which must then match too.
///
/// Go's refusal of `HTTP_PROXY` in a CGI environment does not apply: the exporter is never a CGI program.
public struct ProxyEnvironment: Sendable {
    /// What a probe to one origin does.
    public enum Choice: Sendable, Equatable {
        case direct
        case through(ProbeProxy)
        /// The variable that applies holds something unusable: every probe it applies to fails as `proxy`.
        case unusable(String)
    }

    private let httpProxy: Result<ProbeProxy, ProbeProxy.Problem>?
    private let httpsProxy: Result<ProbeProxy, ProbeProxy.Problem>?
    private let noProxy: NoProxyRules

    /// - Parameter variables: the process environment, or a test's.
    public init(_ variables: [String: String]) {
        func value(_ names: String...) -> String? {
            names.lazy.compactMap { variables[$0] }.first { !$0.isEmpty }
        }
        httpProxy = value("HTTP_PROXY", "http_proxy").map(ProbeProxy.parse)
        httpsProxy = value("HTTPS_PROXY", "https_proxy").map(ProbeProxy.parse)
        noProxy = NoProxyRules(value("NO_PROXY", "no_proxy") ?? "")
    }

    /// The process's own environment.
    public static func current() -> ProxyEnvironment {
        var variables: [String: String] = [:]
        for name in ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"] {
            if let value = getenv(name) { variables[name] = String(cString: value) }
        }
        return ProxyEnvironment(variables)
    }

    /// Nothing set: every probe goes direct.
    public static let none = ProxyEnvironment([:])

    /// The proxy for a request to `origin`.
    public func choice(for origin: ProbeURL.Origin) -> Choice {
        let (configured, variable) =
            origin.scheme == .https ? (httpsProxy, "HTTPS_PROXY") : (httpProxy, "HTTP_PROXY")
        guard let configured, noProxy.useProxy(host: origin.host, port: origin.port) else { return .direct }
        switch configured {
        case .success(let proxy): return .through(proxy)
        case .failure(let problem): return .unusable("\(variable) (or its lower-case form): \(problem)")
        }
    }
}

/// The parsed `NO_PROXY` list.
struct NoProxyRules: Sendable {
    private struct DomainRule: Sendable {
        /// With a leading dot.
        var suffix: String
        /// The rule was written without a leading dot or `*`: the domain itself matches too.
        var matchesItself: Bool
        var port: Int?
    }

    private struct AddressRule: Sendable {
        var address: [UInt8]
        /// Leading bits that must match: all of them for a single address.
        var prefixLength: Int
        var port: Int?
    }

    private var everything = false
    private var domains: [DomainRule] = []
    private var addresses: [AddressRule] = []

    init(_ list: String) {
        for item in list.split(separator: ",") {
            let entry = item.trimmingSpaces().lowercased()
            if entry.isEmpty { continue }
            if entry == "*" {
                everything = true
                return
            }
            // IPv4/CIDR, IPv6/CIDR.
            if let slash = entry.firstIndex(of: "/"), let address = ipAddress(String(entry[..<slash])),
                let bits = Int(entry[entry.index(after: slash)...]), (0...address.count * 8).contains(bits)
            {
                addresses.append(AddressRule(address: address, prefixLength: bits, port: nil))
                continue
            }
            var host = Substring(entry)
            var port: Int?
            if let (splitHost, splitPort) = splitHostAndPort(entry) {
                if splitHost.isEmpty { continue }  // ":1": malformed, ignored as in Go
                host = splitHost
                port = splitPort
            }
            if let address = ipAddress(String(host)) {
                addresses.append(AddressRule(address: address, prefixLength: address.count * 8, port: port))
                continue
            }
            if host.hasPrefix("*.") { host = host.dropFirst() }
            let matchesItself = !host.hasPrefix(".")
            domains.append(DomainRule(suffix: matchesItself ? "." + host : String(host), matchesItself: matchesItself, port: port))
        }
    }

    /// Go's `useProxy`: false for localhost, loopback IPs and whatever the list exempts.
    func useProxy(host rawHost: String, port: Int) -> Bool {
        let host = rawHost.lowercased()
        if host == "localhost" { return false }
        let address = ipAddress(host)
        if let address, isLoopback(address) { return false }
        if everything { return false }
        if let address {
            for rule in addresses where rule.port == nil || rule.port == port {
                if rule.address.count == address.count, prefixMatches(rule.address, address, bits: rule.prefixLength) {
                    return false
                }
            }
        }
        for rule in domains where rule.port == nil || rule.port == port {
            if host.hasSuffix(rule.suffix) || (rule.matchesItself && host == rule.suffix.dropFirst()) { return false }
        }
        return true
    }
}

/// `host:port` or `[v6]:port` split like Go's `net.SplitHostPort` for a `NO_PROXY` entry; nil when the entry has
/// no port (a bare host, or an IPv6 literal without brackets). A port that is not a number matches no request.
private func splitHostAndPort(_ entry: String) -> (Substring, Int?)? {
    if entry.hasPrefix("["), let close = entry.firstIndex(of: "]") {
        let after = entry[entry.index(after: close)...]
        guard after.hasPrefix(":") else { return nil }
        return (entry[entry.index(after: entry.startIndex)..<close], Int(after.dropFirst()) ?? -1)
    }
    guard let colon = entry.firstIndex(of: ":"), entry.lastIndex(of: ":") == colon else { return nil }
    return (entry[..<colon], Int(entry[entry.index(after: colon)...]) ?? -1)
}

/// The bytes of an IPv4 (4) or IPv6 (16) literal; nil for anything else.
func ipAddress(_ text: String) -> [UInt8]? {
    var v4 = in_addr()
    if inet_pton(AF_INET, text, &v4) == 1 {
        return withUnsafeBytes(of: &v4) { Array($0) }
    }
    var v6 = in6_addr()
    if inet_pton(AF_INET6, text, &v6) == 1 {
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        // An IPv4-mapped address (::ffff:a.b.c.d) is that IPv4 address, as in Go.
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff { return Array(bytes[12...]) }
        return bytes
    }
    return nil
}

private func isLoopback(_ address: [UInt8]) -> Bool {
    address.count == 4 ? address[0] == 127 : address == [UInt8](repeating: 0, count: 15) + [1]
}

private func prefixMatches(_ network: [UInt8], _ address: [UInt8], bits: Int) -> Bool {
    for bit in 0..<bits {
        let mask = UInt8(0x80) >> UInt8(bit % 8)
        if network[bit / 8] & mask != address[bit / 8] & mask { return false }
    }
    return true
}

extension StringProtocol {
    fileprivate func trimmingSpaces() -> Substring {
        let text = Substring(self)
        let start = text.firstIndex(where: { !$0.isWhitespace }) ?? text.endIndex
        let end = text.lastIndex(where: { !$0.isWhitespace }).map { text.index(after: $0) } ?? start
        return text[start..<Swift.max(start, end)]
    }
}
