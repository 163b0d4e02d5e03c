import HealthCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// Sends probe requests over SwiftNIO (HTTP/1.1, TLS through BoringSSL) with a hard deadline.
///
/// Each request races a timer for its whole life — waiting for a connection, DNS, connect, TLS, request,
/// response — and the loser is cancelled without waiting: a server that drips one byte a second is cut
/// off at the deadline. Connections are kept alive per origin (scheme, host, port) and proxy, and capped per
/// origin and proxy. Bodies are read up to a limit; redirects are followed only within the origin, since
/// requests carry the API key. Error messages are fixed texts, never bytes of the request or the peer.
///
/// Through an HTTP proxy (the request's own, else the environment's — see `ProxyEnvironment`), an HTTPS
/// target is reached through a `CONNECT` tunnel with TLS to the provider inside it, a plain-HTTP one by
/// requests in absolute form sent to the proxy. Whatever stops at the proxy — refused, closed, a non-2xx
/// answer to `CONNECT`, a 407, no answer by the deadline — fails as `proxy`: it says nothing about the provider.
public final class HTTPProbeClient: Sendable {
    /// Redirects followed at most per request.
    public static let maxRedirects = 5

    private let group: any EventLoopGroup
    private let pool: ProbeConnectionPool
    private let userAgent: String
    private let maxBodyBytes: Int
    /// nil when no TLS context could be made: https requests then fail as `tls`.
    private let tlsContext: NIOSSLContext?
    private let proxyEnvironment: ProxyEnvironment
    /// What completion probes learned about token-limit fields. Kept here because the client is the one
    /// object every probe reaches that outlives configuration reloads.
    let tokenLimitFields = TokenLimitFieldMemory()

    /// - Parameters:
    ///   - maxConnectionsPerHost: connections open at once per origin (requests beyond wait for one).
    ///   - userAgent: the `User-Agent` header of every request.
    ///   - maxBodyBytes: a response body over this size fails as `bad_response` and its connection is closed.
    ///   - additionalTrustRootsPEM: certificates (PEM) trusted besides the system's, e.g. a private CA.
    ///   - proxyEnvironment: the proxy for requests that name none (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`).
    public init(
        maxConnectionsPerHost: Int = 8, userAgent: String = "provider-health-exporter",
        maxBodyBytes: Int = 16 << 20, additionalTrustRootsPEM: [UInt8]? = nil,
        proxyEnvironment: ProxyEnvironment = .current(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.group = eventLoopGroup
        self.proxyEnvironment = proxyEnvironment
        self.pool = ProbeConnectionPool(maxPerRoute: maxConnectionsPerHost)
        self.userAgent = userAgent
        self.maxBodyBytes = max(1, maxBodyBytes)
        var tls = TLSConfiguration.makeClientConfiguration()
        if let pem = additionalTrustRootsPEM, let certificates = try? NIOSSLCertificate.fromPEMBytes(pem) {
            tls.additionalTrustRoots = [.certificates(certificates)]
        }
        tlsContext = try? NIOSSLContext(configuration: tls)
    }

    deinit { pool.closeIdle() }

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
        let proxy: ProbeProxy?
        switch proxyChoice(request, url: url) {
        case .direct: proxy = nil
        case .through(let chosen): proxy = chosen
        case .unusable(let problem):
            return .failure(.proxy, message: ProxyFailure.unusable(problem).message, latencySeconds: 0)
        }
        let deadline = request.timeoutSeconds
        let start = ContinuousClock.now
        let proxyWait = ProxyWait()
        let winner = await withTaskGroup(of: HTTPProbeResult?.self) { group in
            group.addTask { await self.follow(request, url: url, proxy: proxy, proxyWait: proxyWait, start: start) }
            group.addTask {
                do {
                    try await Task.sleep(until: start + .seconds(deadline), clock: .continuous)
                } catch {
                    return nil
                }
                // A proxy that accepted and never answered stopped the probe before it reached the provider.
                if proxyWait.pending {
                    let message = ProxyFailure.timedOut(timeoutMessage(deadline)).message
                    return .failure(.proxy, message: message, latencySeconds: deadline)
                }
                return .failure(.timeout, message: timeoutMessage(deadline), latencySeconds: deadline)
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        if Task.isCancelled { throw CancellationError() }
        // Both children only return nil when cancelled, and we were not: treat as the deadline.
        return winner ?? .failure(.timeout, message: timeoutMessage(deadline), latencySeconds: deadline)
    }

    /// The request's own proxy (a provider's `proxy_url`) wins over the environment's.
    private func proxyChoice(_ request: HTTPProbeRequest, url: ProbeURL) -> ProxyEnvironment.Choice {
        guard let proxyURL = request.proxyURL else { return proxyEnvironment.choice(for: url.origin) }
        switch ProbeProxy.parse(proxyURL) {
        case .success(let proxy): return .through(proxy)
        case .failure(let problem): return .unusable("proxy_url: \(problem)")
        }
    }

    /// Closes the connections kept for reuse.
    public func closeIdleConnections() { pool.closeIdle() }

    /// Open connections to the origin of `url` (for tests).
    public func openConnections(to url: String) -> Int {
        ProbeURL(url).map { pool.openConnections(to: $0.origin) } ?? 0
    }

    /// The request and the redirects it is sent on; nil when cancelled.
    private func follow(
        _ request: HTTPProbeRequest, url first: ProbeURL, proxy: ProbeProxy?, proxyWait: ProxyWait,
        start: ContinuousClock.Instant
    ) async -> HTTPProbeResult? {
        var url = first
        var method = request.method
        var body = request.body
        var visited: Set<String> = [url.key]
        for hop in 0...Self.maxRedirects {
            let route = ConnectionRoute(origin: url.origin, proxy: proxy)
            let head = requestHead(
                method: method, url: url, route: route, headers: request.headers, bodyLength: body?.count)
            guard let exchanged = await exchange(head: head, body: body, route: route, proxyWait: proxyWait) else {
                return nil
            }
            let latency = seconds(ContinuousClock.now - start)
            let response: ReceivedResponse
            switch exchanged {
            case .failure(let reason, let message):
                return .failure(reason, message: message, latencySeconds: latency)
            case .success(let received):
                response = received
            }
            let status = Int(response.head.status.code)
            // A plain-HTTP request through a proxy: a 407 is the proxy's, not the provider's.
            if route.forwardedByProxy, status == 407 {
                return .failure(.proxy, message: ProxyFailure.refused(status: 407).message, latencySeconds: latency)
            }
            if [301, 302, 303, 307, 308].contains(status),
                let location = response.head.headers.first(name: "location"),
                let next = url.resolving(location: location), next.origin == url.origin
            {
                guard hop < Self.maxRedirects else {
                    return .failure(.badResponse, message: "too many redirects", latencySeconds: latency)
                }
                guard visited.insert(next.key).inserted else {
                    return .failure(.badResponse, message: "redirect loop", latencySeconds: latency)
                }
                if status == 303 || ((status == 301 || status == 302) && method == "POST") {
                    method = "GET"
                    body = nil
                }
                url = next
                continue
            }
            // A redirect elsewhere is not followed: the caller judges the 3xx itself.
            return .response(probeResponse(response), latencySeconds: latency)
        }
        return nil
    }

    private enum Exchanged {
        case success(ReceivedResponse)
        case failure(FailureReason, String)
    }

    /// One exchange on a pooled or new connection; nil when cancelled. A reused connection that the
    /// server had closed meanwhile is replaced by a new one, once.
    private func exchange(head: HTTPRequestHead, body: [UInt8]?, route: ConnectionRoute, proxyWait: ProxyWait) async
        -> Exchanged?
    {
        switch await pool.lease(route) {
        case .cancelled:
            return nil
        case .reuse(let connection):
            guard let result = await run(head: head, body: body, on: connection) else { return nil }
            if case .failure(let failure) = result, isStale(failure) {
                connection.close()
                return await exchangeOnNewConnection(head: head, body: body, route: route, proxyWait: proxyWait)
            }
            return finish(result, on: connection)
        case .open:
            return await exchangeOnNewConnection(head: head, body: body, route: route, proxyWait: proxyWait)
        }
    }

    /// Opens a connection in a slot already leased from the pool, and runs the exchange on it.
    private func exchangeOnNewConnection(
        head: HTTPRequestHead, body: [UInt8]?, route: ConnectionRoute, proxyWait: ProxyWait
    ) async -> Exchanged? {
        let future = connect(route, proxyWait: proxyWait)
        guard let connected = await waitCancellably(future, onCancel: {}) else {
            pool.releaseSlot(route)
            future.whenSuccess { $0.close() }
            return nil
        }
        switch connected {
        case .failure(let error):
            pool.releaseSlot(route)
            let (reason, message) = classifyTransportError(error)
            return .failure(reason, message)
        case .success(let connection):
            guard let result = await run(head: head, body: body, on: connection) else { return nil }
            return finish(result, on: connection)
        }
    }

    /// Runs the exchange; nil (and the connection closed and given back) when cancelled.
    private func run(head: HTTPRequestHead, body: [UInt8]?, on connection: ProbeConnection) async
        -> Result<ReceivedResponse, any Error>?
    {
        let future = connection.exchange(head: head, body: body, maxBodyBytes: maxBodyBytes)
        guard let result = await waitCancellably(future, onCancel: { connection.close() }) else {
            pool.release(connection, reusable: false)
            return nil
        }
        return result
    }

    private func finish(_ result: Result<ReceivedResponse, any Error>, on connection: ProbeConnection) -> Exchanged {
        switch result {
        case .success(let response):
            pool.release(connection, reusable: response.reusable)
            return .success(response)
        case .failure(let error):
            pool.release(connection, reusable: false)
            let (reason, message) = classifyExchangeError(error)
            return .failure(reason, message)
        }
    }

    /// A connection on `route`: to the provider, or to the proxy (through its tunnel, for HTTPS). Every failure
    /// before the proxy has carried the connection is a `ProxyFailure`.
    private func connect(_ route: ConnectionRoute, proxyWait: ProxyWait) -> EventLoopFuture<ProbeConnection> {
        let origin = route.origin
        let tls = origin.scheme == .https
        let tlsContext = self.tlsContext
        let pool = self.pool
        if tls && tlsContext == nil {
            return group.next().makeFailedFuture(ExchangeFailure.tls)
        }
        /// TLS (with the provider's name), HTTP and the exchange handler: on a direct connection, or in a tunnel.
        @Sendable func addProbeHandlers(_ channel: any Channel) throws {
            if tls, let tlsContext {
                let handler = try NIOSSLClientHandler(
                    context: tlsContext, serverHostname: origin.hostIsIPLiteral ? nil : origin.host)
                try channel.pipeline.syncOperations.addHandler(handler)
            }
            try channel.pipeline.syncOperations.addHTTPClientHandlers(leftOverBytesStrategy: .fireError)
            try channel.pipeline.syncOperations.addHandler(ProbeExchangeHandler(tls: tls))
        }
        let proxy = route.proxy
        if proxy != nil { proxyWait.begin() }
        let connected = ClientBootstrap(group: group)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(300))  // a backstop: the request's deadline ends it first
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if route.tunnelled {
                        let tunnel = ProxyTunnelHandler(
                            authority: origin.authority, authorization: proxy?.authorization,
                            promise: channel.eventLoop.makePromise())
                        try channel.pipeline.syncOperations.addHandler(tunnel)
                    } else {
                        try addProbeHandlers(channel)
                    }
                }
            }
            .connect(host: proxy?.host ?? origin.host, port: proxy?.port ?? origin.port)
            .flatMap { channel -> EventLoopFuture<any Channel> in
                guard route.tunnelled else { return channel.eventLoop.makeSucceededFuture(channel) }
                do {
                    let tunnel = try channel.pipeline.syncOperations.handler(type: ProxyTunnelHandler.self)
                    return tunnel.established.futureResult.flatMapThrowing {
                        try addProbeHandlers(channel)
                        return channel
                    }
                } catch {
                    channel.close(promise: nil)
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
        return connected.flatMapErrorThrowing { error in
            // Nothing reached the provider yet: through a proxy, that is the proxy's failure.
            guard proxy != nil, !(error is ProxyFailure) else { throw error }
            throw ProxyFailure.transport(classifyTransportError(error).1)
        }
        .flatMap { channel in
            proxyWait.end()
            return channel.pipeline.handler(type: ProbeExchangeHandler.self).map { handler in
                let connection = ProbeConnection(
                    channel: channel, route: route, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
                // A connection the server closes while it is idle in the pool leaves the pool.
                channel.closeFuture.whenComplete { _ in pool.forget(connection) }
                return connection
            }
        }
    }

    private func requestHead(
        method: String, url: ProbeURL, route: ConnectionRoute, headers: [(String, String)], bodyLength: Int?
    ) -> HTTPRequestHead {
        var fields = HTTPHeaders()
        fields.add(name: "Host", value: url.origin.hostHeader)
        fields.add(name: "User-Agent", value: userAgent)
        for (name, value) in headers {
            switch name.lowercased() {
            // Proxy credentials come only from the proxy URL, and go only to the proxy.
            case "host", "content-length", "transfer-encoding", "connection", "proxy-authorization": continue
            case "user-agent": fields.replaceOrAdd(name: "User-Agent", value: value)
            default: fields.add(name: name, value: value)
            }
        }
        if let bodyLength { fields.add(name: "Content-Length", value: String(bodyLength)) }
        var target = url.target
        if route.forwardedByProxy {
            target = "http://\(url.origin.hostHeader)\(url.target)"
            if let authorization = route.proxy?.authorization {
                fields.add(name: "Proxy-Authorization", value: authorization)
            }
        }
        return HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: target, headers: fields)
    }
}

/// Whether a request is still waiting for its proxy (connecting to it, or for its answer to `CONNECT`): a
/// deadline that comes then is the proxy's failure, not the provider's.
private final class ProxyWait: Sendable {
    private let waiting = Mutex(false)
    var pending: Bool { waiting.withLock { $0 } }
    func begin() { waiting.withLock { $0 = true } }
    func end() { waiting.withLock { $0 = false } }
}

/// The failure reason and fixed message for a failed exchange.
func classifyExchangeError(_ error: any Error) -> (FailureReason, String) {
    guard let failure = error as? ExchangeFailure else { return classifyTransportError(error) }
    switch failure {
    case .closedBeforeResponse: return (.connect, "connection closed without a response")
    case .cutShort: return (.badResponse, "response cut short")
    case .bodyTooLarge(let limit): return (.badResponse, "response body over \(limit) bytes")
    case .malformed: return (.badResponse, "malformed HTTP response")
    case .tls: return (.tls, "TLS handshake failed")
    case .transport(let reason, let message): return (reason, message)
    }
}

/// A kept-alive connection the server closed while it sat idle: worth one retry on a new connection.
private func isStale(_ error: any Error) -> Bool {
    switch error as? ExchangeFailure {
    case .closedBeforeResponse: return true
    case .transport(.connect, _): return true
    default: return false
    }
}

private func probeResponse(_ received: ReceivedResponse) -> HTTPProbeResponse {
    HTTPProbeResponse(
        statusCode: Int(received.head.status.code),
        headers: received.head.headers.map { (name: $0.name, value: $0.value) },
        body: Array(received.body.readableBytesView))
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

/// Awaits `future`, or returns nil as soon as the task is cancelled (running `onCancel`), whichever is first.
func waitCancellably<Value: Sendable>(_ future: EventLoopFuture<Value>, onCancel: @escaping @Sendable () -> Void)
    async -> Result<Value, any Error>?
{
    let waiter = FutureWaiter<Value>()
    return await withTaskCancellationHandler {
        await withCheckedContinuation { continuation in
            if waiter.begin(continuation) {
                future.whenComplete { waiter.finish($0) }
            }
        }
    } onCancel: {
        if waiter.cancel() { onCancel() }
    }
}

/// A continuation resumed exactly once: by the future, or by cancellation.
private final class FutureWaiter<Value: Sendable>: Sendable {
    private struct State: ~Copyable {
        var continuation: CheckedContinuation<Result<Value, any Error>?, Never>?
        var cancelled = false
    }

    private let state = Mutex(State())

    /// Stores the continuation; false (and resumed with nil) when cancellation came first.
    func begin(_ continuation: CheckedContinuation<Result<Value, any Error>?, Never>) -> Bool {
        let cancelled = state.withLock { state -> Bool in
            if state.cancelled { return true }
            state.continuation = continuation
            return false
        }
        if cancelled { continuation.resume(returning: nil) }
        return !cancelled
    }

    func finish(_ result: Result<Value, any Error>) {
        let continuation = state.withLock { state in
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(returning: result)
    }

    /// True when this cancelled a pending wait.
    func cancel() -> Bool {
        let continuation = state.withLock { state in
            defer {
                state.continuation = nil
                state.cancelled = true
            }
            return state.continuation
        }
        continuation?.resume(returning: nil)
        return continuation != nil
    }
}
