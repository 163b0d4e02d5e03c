import HealthCore
import OutcomeIngest
import Probing

/// Which configured provider a gateway's call belongs to, from what the gateway reported (`ReportedRoute`).
/// The rules, in order:
/// 1. an alias: the reported provider name or LiteLLM model group is in a provider's `aliases` — what the
///    configuration says outright;
/// 2. the endpoint: the reported endpoint has the host and port of one provider's `base_url` (the longest
///    matching base path when several share a host and port; the host alone when the report has no port and one
///    provider has that host);
/// 3. the name: a provider is named as the gateway names it, unless the call reports an endpoint of another host —
///    gateways call every OpenAI-compatible server `openai`, and a local server's failures are not OpenAI's.
/// Nil when no rule matches. Pure; built once per configuration.
public struct TrafficRoutes: Sendable {
    private var byAlias: [String: String] = [:]
    private var byName: [String: ProbeURL.Origin] = [:]
    private var byOrigin: [HostPort: [(path: String, provider: String)]] = [:]
    private var byHost: [String: Set<String>] = [:]

    private struct HostPort: Hashable {
        var host: String
        var port: Int
    }

    public init(providers: [ProviderSettings]) {
        for provider in providers {
            for alias in provider.aliases { byAlias[alias] = provider.name }
            guard let url = ProbeURL(provider.baseURL) else { continue }
            byName[provider.name] = url.origin
            byOrigin[HostPort(host: url.origin.host, port: url.origin.port), default: []]
                .append((Self.pathWithoutQuery(url.target), provider.name))
            byHost[url.origin.host, default: []].insert(provider.name)
        }
    }

    public func provider(for route: ReportedRoute) -> String? {
        if let name = route.provider, let provider = byAlias[name] { return provider }
        if let group = route.group, let provider = byAlias[group] { return provider }
        let endpoint = route.endpoint.flatMap(Self.parseEndpoint)
        if let endpoint, let provider = provider(at: endpoint) { return provider }
        if let name = route.provider, let origin = byName[name] {
            if let endpoint, endpoint.host != origin.host { return nil }
            return name
        }
        return nil
    }

    /// The name an unmatched call is tracked under when unknown providers are accepted: the gateway's name for the
    /// provider, unless that is a configured provider the call did not go to; then the endpoint's host.
    public func unmatchedName(for route: ReportedRoute) -> String? {
        let endpoint = route.endpoint.flatMap(Self.parseEndpoint)
        let hostName = endpoint.map { endpoint in endpoint.port.map { "\(endpoint.host):\($0)" } ?? endpoint.host }
        if let name = route.provider ?? route.group {
            return byName[name] == nil ? name : hostName
        }
        return hostName
    }

    private func provider(at endpoint: (host: String, port: Int?, path: String)) -> String? {
        guard let port = endpoint.port else {
            let named = byHost[endpoint.host] ?? []
            return named.count == 1 ? named.first : nil
        }
        guard let candidates = byOrigin[HostPort(host: endpoint.host, port: port)] else { return nil }
        if candidates.count == 1 { return candidates[0].provider }
        let matching = candidates.filter { Self.path(endpoint.path, isUnder: $0.path) }
        guard let longest = matching.map(\.path.count).max() else { return nil }
        let best = matching.filter { $0.path.count == longest }
        return best.count == 1 ? best[0].provider : nil
    }

    /// `https://host[:port]/path`, or `host[:port]` as OpenTelemetry's `server.address` and `server.port` give it.
    /// The port is nil when the report names none and has no scheme to imply one.
    static func parseEndpoint(_ text: String) -> (host: String, port: Int?, path: String)? {
        if text.contains("://") {
            guard let url = ProbeURL(text) else { return nil }
            return (url.origin.host, url.origin.port, pathWithoutQuery(url.target))
        }
        guard let url = ProbeURL("http://" + text) else { return nil }
        let authority = text.prefix { $0 != "/" }
        let hasPort = authority.hasPrefix("[") ? authority.contains("]:") : authority.contains(":")
        return (url.origin.host, hasPort ? url.origin.port : nil, pathWithoutQuery(url.target))
    }

    private static func pathWithoutQuery(_ target: String) -> String {
        var path = String(target.prefix { $0 != "?" })
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return path
    }

    private static func path(_ path: String, isUnder base: String) -> Bool {
        base == "/" || path == base || path.hasPrefix(base + "/")
    }
}
