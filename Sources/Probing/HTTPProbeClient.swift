import AsyncHTTPClient
import HealthCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Sends probe requests through async-http-client (HTTP/1.1, TLS through BoringSSL) with a hard deadline.
///
/// Each request races a timer for its whole life — waiting for a pooled connection, DNS, connect, TLS, request,
/// response head and body — and the loser is cancelled without waiting: a server that drips one byte a second
/// is cut off at the deadline. (async-http-client's own deadline ends at the response head, so it cannot be the
/// deadline of a probe.) async-http-client keeps connections alive per origin and caps them per origin. Bodies
/// are read up to a limit; redirects are followed here, only within the origin, since requests carry the API
/// key. Error messages are fixed texts, never bytes of the request or the peer.
public final class HTTPProbeClient: Sendable {
    /// Redirects followed at most per request.
    public static let maxRedirects = 5

    /// Connects directly.
    private let direct: HTTPClient
    /// One client per proxy server (async-http-client takes its proxy per client).
    private let proxied: [ProbeProxy.Server: HTTPClient]
    private let proxy: ProbeProxy
    private let userAgent: String
    private let maxBodyBytes: Int
    /// What completion probes learned about token-limit fields. Kept here because the client is the one
    /// object every probe reaches that outlives configuration reloads.
    let tokenLimitFields = TokenLimitFieldMemory()

    /// - Parameters:
    ///   - maxConnectionsPerHost: connections open at once per origin (requests beyond wait for one).
    ///   - userAgent: the `User-Agent` header of every request.
    ///   - maxBodyBytes: a response body over this size fails as `bad_response` and its connection is closed.
    ///   - additionalTrustRootsPEM: certificates (PEM) trusted besides the system's, e.g. a private CA.
    ///   - proxy: the HTTP proxies requests go through (see `ProbeProxy.fromEnvironment`).
    public init(
        maxConnectionsPerHost: Int = 8, userAgent: String = "provider-health-exporter",
        maxBodyBytes: Int = 16 << 20, additionalTrustRootsPEM: [UInt8]? = nil, proxy: ProbeProxy = .none,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.userAgent = userAgent
        self.maxBodyBytes = max(1, maxBodyBytes)
        self.proxy = proxy
        var tls = TLSConfiguration.makeClientConfiguration()
        if let pem = additionalTrustRootsPEM, let certificates = try? NIOSSLCertificate.fromPEMBytes(pem) {
            tls.additionalTrustRoots = [.certificates(certificates)]
        }
        func client(through server: ProbeProxy.Server?) -> HTTPClient {
            HTTPClient(
                eventLoopGroup: eventLoopGroup,
                configuration: .probing(tls: tls, maxConnectionsPerHost: maxConnectionsPerHost, proxy: server))
        }
        direct = client(through: nil)
        var proxied: [ProbeProxy.Server: HTTPClient] = [:]
        for server in [proxy.httpsServer, proxy.httpServer].compactMap({ $0 }) where proxied[server] == nil {
            proxied[server] = client(through: server)
        }
        self.proxied = proxied
    }

    /// Shuts the connection pools down. A request holds the client while it runs, so none is in flight here; the
    /// shutdown keeps async-http-client's client alive until its connections are closed.
    deinit {
        direct.shutdown { _ in }
        for client in proxied.values { client.shutdown { _ in } }
    }

    /// Sends `request` and waits at most its deadline. Throws only `CancellationError`, when the calling
    /// task is cancelled; every other problem is a `.failure` result.
    public func send(_ request: HTTPProbeRequest) async throws -> HTTPProbeResult {
        try Task.checkCancellation()
        guard let url = ProbeURL(request.url) else {
            return .failure(.badResponse, message: "invalid URL", latencySeconds: 0)
        }
        guard request.headers.allSatisfy({ isValidHeader(name: $0.0, value: $0.1) }) else {
            return .failure(.badResponse, message: "invalid request header", latencySeconds: 0)
        }
        let deadline = request.timeoutSeconds
        let start = ContinuousClock.now
        let outcome = await race(until: start + .seconds(deadline)) { await self.follow(request, url: url, start: start) }
        switch outcome {
        case .cancelled:
            throw CancellationError()
        case .finished(let result?):
            return result
        case .finished(nil), .deadline:
            // `follow` only returns nil when cancelled, which only the deadline does here.
            return .failure(.timeout, message: timeoutMessage(deadline), latencySeconds: deadline)
        }
    }

    /// The request and the redirects it is sent on; nil when cancelled.
    private func follow(_ request: HTTPProbeRequest, url first: ProbeURL, start: ContinuousClock.Instant) async
        -> HTTPProbeResult?
    {
        // async-http-client's deadline ends only the wait for the response head; the race in `send` ends the
        // request first. This one is a backstop, a second later, so that it never decides the reason.
        let backstop = NIODeadline.now() + .nanoseconds(Int64((request.timeoutSeconds + 1) * 1e9))
        let headers = requestHeaders(request.headers)
        var url = first
        var method = request.method
        var body = request.body
        var visited: Set<String> = [url.key]
        for hop in 0...Self.maxRedirects {
            let outcome = await exchange(method: method, url: url, headers: headers, body: body, deadline: backstop)
            if Task.isCancelled { return nil }
            let latency = seconds(ContinuousClock.now - start)
            let response: HTTPProbeResponse
            switch outcome {
            case .failure(let failure):
                return .failure(failure.reason, message: failure.message, latencySeconds: latency)
            case .success(let received):
                response = received
            }
            if [301, 302, 303, 307, 308].contains(response.statusCode),
                let location = response.headers.first(where: { $0.name.lowercased() == "location" })?.value,
                let next = url.resolving(location: location), next.origin == url.origin
            {
                guard hop < Self.maxRedirects else {
                    return .failure(.badResponse, message: "too many redirects", latencySeconds: latency)
                }
                guard visited.insert(next.key).inserted else {
                    return .failure(.badResponse, message: "redirect loop", latencySeconds: latency)
                }
                if response.statusCode == 303
                    || ((response.statusCode == 301 || response.statusCode == 302) && method == "POST")
                {
                    method = "GET"
                    body = nil
                }
                url = next
                continue
            }
            // A redirect elsewhere is not followed: the caller judges the 3xx itself.
            return .response(response, latencySeconds: latency)
        }
        return nil
    }

    /// One exchange. A connection that closes before any byte of a response is most likely a kept-alive one the
    /// server closed as the request went out: the request is sent once more, on a new connection.
    private func exchange(method: String, url: ProbeURL, headers: HTTPHeaders, body: [UInt8]?, deadline: NIODeadline)
        async -> Result<HTTPProbeResponse, ProbeFailure>
    {
        let first = await exchangeOnce(method: method, url: url, headers: headers, body: body, deadline: deadline)
        guard case .failure(let failure) = first, failure.closedBeforeResponse, !Task.isCancelled else { return first }
        return await exchangeOnce(method: method, url: url, headers: headers, body: body, deadline: deadline)
    }

    private func exchangeOnce(
        method: String, url: ProbeURL, headers: HTTPHeaders, body: [UInt8]?, deadline: NIODeadline
    ) async -> Result<HTTPProbeResponse, ProbeFailure> {
        var request = HTTPClientRequest(url: url.key)
        request.method = HTTPMethod(rawValue: method)
        request.headers = headers
        if let body { request.body = .bytes(body) }
        let response: HTTPClientResponse
        do {
            response = try await httpClient(for: url.origin).execute(request, deadline: deadline)
        } catch {
            return .failure(ProbeFailure(error, afterHead: false, maxBodyBytes: maxBodyBytes))
        }
        do {
            // Refuses a body announced over the limit before reading it; dropping the response closes its
            // connection.
            let bytes = try await response.body.collect(upTo: maxBodyBytes)
            return .success(
                HTTPProbeResponse(
                    statusCode: Int(response.status.code),
                    headers: response.headers.map { (name: $0.name, value: $0.value) },
                    body: Array(bytes.readableBytesView)))
        } catch {
            return .failure(ProbeFailure(error, afterHead: true, maxBodyBytes: maxBodyBytes))
        }
    }

    private func httpClient(for origin: ProbeURL.Origin) -> HTTPClient {
        proxy.server(for: origin).flatMap { proxied[$0] } ?? direct
    }

    private func requestHeaders(_ configured: [(String, String)]) -> HTTPHeaders {
        var fields = HTTPHeaders()
        fields.add(name: "User-Agent", value: userAgent)
        for (name, value) in configured {
            switch name.lowercased() {
            // Set by async-http-client from the URL and the body: a configured one would contradict them.
            case "host", "content-length", "transfer-encoding", "connection": continue
            case "user-agent": fields.replaceOrAdd(name: "User-Agent", value: value)
            default: fields.add(name: name, value: value)
            }
        }
        return fields
    }
}

/// Header names are tokens; values carry no CR, LF or NUL (no header injection from a configuration).
private func isValidHeader(name: String, value: String) -> Bool {
    guard !name.isEmpty,
        name.utf8.allSatisfy({ $0 > 32 && $0 < 127 && $0 != UInt8(ascii: ":") })
    else { return false }
    return !value.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 })
}

private func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
}

/// "timed out after 2.0s"
func timeoutMessage(_ seconds: Double) -> String {
    let tenths = Int((seconds * 10).rounded())
    return "timed out after \(tenths / 10).\(tenths % 10)s"
}
