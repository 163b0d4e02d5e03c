import AsyncHTTPClient
import NIOCore
import NIOSSL

extension HTTPClient.Configuration {
    /// async-http-client's settings for probes: the probe's own deadline, redirects and retries decide, not these.
    static func probing(tls: TLSConfiguration, maxConnectionsPerHost: Int, proxy: ProbeProxy.Server?) -> Self {
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            // Followed by HTTPProbeClient, within the origin only: async-http-client would follow them anywhere,
            // with the credential headers.
            redirectConfiguration: .disallow,
            // A backstop only: the request's deadline gives up first. It also bounds how long a request may wait
            // for a pooled connection, so it must be longer than any probe's deadline.
            timeout: .init(connect: .seconds(300)),
            connectionPool: .init(
                // Longer than the default probe interval (60 s plus jitter), so the next probe of a provider finds
                // its connection; shorter than the idle limits of common load balancers, which drop silently.
                idleTimeout: .seconds(120),
                concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, maxConnectionsPerHost)))
        // A failed connection attempt fails the requests waiting for it at once, as what they met (refused, DNS,
        // TLS). Retrying would hold them until their deadline and report a refused port as a timeout; the
        // scheduler asks again itself after a connection-level failure.
        configuration.connectionPool.retryConnectionEstablishment = false
        // HTTP/1.1 only: the per-origin connection cap and the fault suite describe HTTP/1.1 connections.
        configuration.httpVersion = .http1Only
        if let proxy {
            configuration.proxy = .server(
                host: proxy.host, port: proxy.port,
                authorization: proxy.username.map { .basic(username: $0, password: proxy.password ?? "") })
        }
        return configuration
    }
}
