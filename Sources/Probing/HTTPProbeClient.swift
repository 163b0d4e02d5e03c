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
/// off at the deadline. Connections are kept alive per origin (scheme, host, port) and capped per origin.
/// Bodies are read up to a limit; redirects are followed only within the origin, since requests carry
/// the API key. Error messages are fixed texts, never bytes of the request or the peer.
public final class HTTPProbeClient: Sendable {
    /// Redirects followed at most per request.
    public static let maxRedirects = 5

    private let group: any EventLoopGroup
    private let pool: ProbeConnectionPool
    private let userAgent: String
    private let maxBodyBytes: Int
    /// nil when no TLS context could be made: https requests then fail as `tls`.
    private let tlsContext: NIOSSLContext?
    /// What completion probes learned about token-limit fields. Kept here because the client is the one
    /// object every probe reaches that outlives configuration reloads.
    let tokenLimitFields = TokenLimitFieldMemory()

    /// - Parameters:
    ///   - maxConnectionsPerHost: connections open at once per origin (requests beyond wait for one).
    ///   - userAgent: the `User-Agent` header of every request.
    ///   - maxBodyBytes: a response body over this size fails as `bad_response` and its connection is closed.
    ///   - additionalTrustRootsPEM: certificates (PEM) trusted besides the system's, e.g. a private CA.
    public init(
        maxConnectionsPerHost: Int = 8, userAgent: String = "provider-health-exporter",
        maxBodyBytes: Int = 16 << 20, additionalTrustRootsPEM: [UInt8]? = nil,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.group = eventLoopGroup
        self.pool = ProbeConnectionPool(maxPerOrigin: maxConnectionsPerHost)
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
        let deadline = request.timeoutSeconds
        let start = ContinuousClock.now
        let winner = await withTaskGroup(of: HTTPProbeResult?.self) { group in
            group.addTask { await self.follow(request, url: url, start: start) }
            group.addTask {
                do {
                    try await Task.sleep(until: start + .seconds(deadline), clock: .continuous)
                } catch {
                    return nil
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

    /// Closes the connections kept for reuse.
    public func closeIdleConnections() { pool.closeIdle() }

    /// Open connections to the origin of `url` (for tests).
    public func openConnections(to url: String) -> Int {
        ProbeURL(url).map { pool.openConnections(to: $0.origin) } ?? 0
    }

    /// The request and the redirects it is sent on; nil when cancelled.
    private func follow(_ request: HTTPProbeRequest, url first: ProbeURL, start: ContinuousClock.Instant) async
        -> HTTPProbeResult?
    {
        var url = first
        var method = request.method
        var body = request.body
        var visited: Set<String> = [url.key]
        for hop in 0...Self.maxRedirects {
            let head = requestHead(method: method, url: url, headers: request.headers, bodyLength: body?.count)
            guard let exchanged = await exchange(head: head, body: body, origin: url.origin) else { return nil }
            let latency = seconds(ContinuousClock.now - start)
            let response: ReceivedResponse
            switch exchanged {
            case .failure(let reason, let message):
                return .failure(reason, message: message, latencySeconds: latency)
            case .success(let received):
                response = received
            }
            let status = Int(response.head.status.code)
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
    private func exchange(head: HTTPRequestHead, body: [UInt8]?, origin: ProbeURL.Origin) async -> Exchanged? {
        switch await pool.lease(origin) {
        case .cancelled:
            return nil
        case .reuse(let connection):
            guard let result = await run(head: head, body: body, on: connection) else { return nil }
            if case .failure(let failure) = result, isStale(failure) {
                connection.close()
                return await exchangeOnNewConnection(head: head, body: body, origin: origin)
            }
            return finish(result, on: connection)
        case .open:
            return await exchangeOnNewConnection(head: head, body: body, origin: origin)
        }
    }

    /// Opens a connection in a slot already leased from the pool, and runs the exchange on it.
    private func exchangeOnNewConnection(head: HTTPRequestHead, body: [UInt8]?, origin: ProbeURL.Origin) async
        -> Exchanged?
    {
        let future = connect(origin)
        guard let connected = await waitCancellably(future, onCancel: {}) else {
            pool.releaseSlot(origin)
            future.whenSuccess { $0.close() }
            return nil
        }
        switch connected {
        case .failure(let error):
            pool.releaseSlot(origin)
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

    private func connect(_ origin: ProbeURL.Origin) -> EventLoopFuture<ProbeConnection> {
        let tls = origin.scheme == .https
        let tlsContext = self.tlsContext
        let pool = self.pool
        if tls && tlsContext == nil {
            return group.next().makeFailedFuture(ExchangeFailure.tls)
        }
        return ClientBootstrap(group: group)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(300))  // a backstop: the request's deadline ends it first
            .channelInitializer { channel in
                do {
                    if tls, let tlsContext {
                        let handler = try NIOSSLClientHandler(
                            context: tlsContext, serverHostname: origin.hostIsIPLiteral ? nil : origin.host)
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(leftOverBytesStrategy: .fireError)
                    try channel.pipeline.syncOperations.addHandler(ProbeExchangeHandler(tls: tls))
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
            .connect(host: origin.host, port: origin.port)
            .flatMap { channel in
                channel.pipeline.handler(type: ProbeExchangeHandler.self).map { handler in
                    let connection = ProbeConnection(
                        channel: channel, origin: origin, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
                    // A connection the server closes while it is idle in the pool leaves the pool.
                    channel.closeFuture.whenComplete { _ in pool.forget(connection) }
                    return connection
                }
            }
    }

    private func requestHead(method: String, url: ProbeURL, headers: [(String, String)], bodyLength: Int?)
        -> HTTPRequestHead
    {
        var fields = HTTPHeaders()
        fields.add(name: "Host", value: url.origin.hostHeader)
        fields.add(name: "User-Agent", value: userAgent)
        for (name, value) in headers {
            switch name.lowercased() {
            case "host", "content-length", "transfer-encoding", "connection": continue
            case "user-agent": fields.replaceOrAdd(name: "User-Agent", value: value)
            default: fields.add(name: name, value: value)
            }
        }
        if let bodyLength { fields.add(name: "Content-Length", value: String(bodyLength)) }
        return HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: url.target, headers: fields)
    }
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
