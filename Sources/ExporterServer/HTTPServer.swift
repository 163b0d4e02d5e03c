import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A small HTTP/1.1 server: keep-alive and pipelining, limits on the request head and body, deadlines for reading
/// a request (slowloris) and an idle timeout, clear error statuses, and a router; optionally TLS, basic auth and
/// extra response headers (the `--web.config.file` settings), on one or more addresses.
public final class HTTPServer: Sendable {
    public struct Configuration: Sendable {
        /// Where to listen: every address gets its own socket, all serving the same routes.
        public var addresses: [ListenAddress]
        /// HTTPS instead of HTTP on every address.
        public var tls: TLSSettings?
        /// When set, every request but those for `unauthenticatedPaths` needs valid basic auth credentials.
        public var basicAuth: BasicAuthenticator?
        /// Paths answered without credentials: liveness and readiness probes of orchestrators.
        public var unauthenticatedPaths: Set<String> = ["/-/healthy", "/-/ready"]
        /// Added to every response (security headers such as Strict-Transport-Security).
        public var responseHeaders: [(String, String)] = []
        /// Largest request body accepted; larger ones get 413 and the connection is closed.
        public var maxBodyBytes: Int
        /// Connections idle this long (nothing read or written) are closed.
        public var idleTimeout: TimeAmount
        /// Time a client has to send a whole request head, from the connection's start or from its first byte
        /// after a response; then 408 (or a plain close when it sent nothing) and the connection is closed.
        public var requestHeadTimeout: TimeAmount
        /// Time a client has to send a request body once its head arrived; then 408 and close.
        public var requestBodyTimeout: TimeAmount
        /// Largest request head (request line and header fields); a larger one gets 431 and the connection is closed.
        public var maxHeadBytes: Int
        /// Most header fields in a request (scrapers send a handful; each costs parsing): more get 431 and close.
        public var maxHeaderFields: Int
        /// Told the path of every request refused for its body size (so that a route can count it).
        public var onBodyTooLarge: (@Sendable (String) -> Void)?
        public init(
            host: String = "127.0.0.1", port: Int = 0, maxBodyBytes: Int = 1 << 20, idleTimeout: TimeAmount = .seconds(60),
            requestHeadTimeout: TimeAmount = .seconds(10), requestBodyTimeout: TimeAmount = .seconds(60),
            maxHeadBytes: Int = 64 << 10, maxHeaderFields: Int = 100, onBodyTooLarge: (@Sendable (String) -> Void)? = nil
        ) {
            self.addresses = [ListenAddress(host: host, port: port)]
            self.maxBodyBytes = maxBodyBytes
            self.idleTimeout = idleTimeout
            self.requestHeadTimeout = requestHeadTimeout
            self.requestBodyTimeout = requestBodyTimeout
            self.maxHeadBytes = maxHeadBytes
            self.maxHeaderFields = maxHeaderFields
            self.onBodyTooLarge = onBodyTooLarge
        }
    }

    private let channels: [any Channel]
    /// The port of the first address (the one chosen by the system for port 0).
    public var localPort: Int { channels.first?.localAddress?.port ?? 0 }
    /// Every bound address, in the order configured.
    public var localAddresses: [SocketAddress] { channels.compactMap(\.localAddress) }

    private init(channels: [any Channel]) {
        self.channels = channels
    }

    /// Binds every address and starts serving. Returns once the sockets listen; if one cannot be bound, the others
    /// are closed and the error names the address.
    public static func start(
        configuration: Configuration, router: Router, logger: Logger,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> HTTPServer {
        let tls = try configuration.tls.map { try TLSContextSource(settings: $0, logger: logger) }
        var responseHeaders = HTTPHeaders()
        for (name, value) in configuration.responseHeaders { responseHeaders.add(name: name, value: value) }
        let access = AccessPolicy(
            authenticator: configuration.basicAuth, unauthenticatedPaths: configuration.unauthenticatedPaths,
            responseHeaders: responseHeaders)
        // Two spare body buffers per thread: enough for the requests a thread reads at once.
        let bodyBuffers = RequestBodyBuffers(
            spareCount: 2 * group.makeIterator().reduce(0) { count, _ in count + 1 },
            maxKeptBytes: configuration.maxBodyBytes)
        let bootstrap = ServerBootstrap(group: group)
            // A burst of connections waits in the kernel's queue instead of having its SYNs dropped (then retried
            // after a second); Linux caps the backlog at net.core.somaxconn. Accept many per wake-up.
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.maxMessagesPerRead, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            // Reads grow to 1 MiB while a client sends megabytes (a gateway's batch), and shrink back after: a
            // body of 7 MB is ~10 reads through the pipeline instead of ~110.
            .childChannelOption(
                .recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: 1 << 20))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    let connection = ConnectionGuard(
                        headTimeout: configuration.requestHeadTimeout, bodyTimeout: configuration.requestBodyTimeout)
                    // Behind TLS the guard sees plain HTTP (its 408 must be encrypted too); its head deadline,
                    // started when the connection opens, also ends a handshake that stalls.
                    if let tls { try sync.addHandler(tls.makeHandler()) }
                    try sync.addHandler(connection)
                    try sync.addHandler(IdleStateHandler(allTimeout: configuration.idleTimeout))
                    var limits = NIOHTTPDecoderLimitConfiguration()
                    limits.maxHeaderFieldSize = configuration.maxHeadBytes
                    limits.maxHeaderListSize = configuration.maxHeadBytes
                    limits.maxHeaderFieldCount = configuration.maxHeaderFields
                    // No outbound header validation: every response header this server writes is a constant, a
                    // number or a list of methods, never request data, and checking them cost about 5 % of a scrape.
                    try sync.configureHTTPServerPipeline(
                        withErrorHandling: false, withOutboundHeaderValidation: false, withEncoderConfiguration: .init(),
                        withDecoderLimitConfiguration: limits)
                    try sync.addHandler(
                        HTTPProtocolErrorHandler(
                            maxHeadBytes: configuration.maxHeadBytes, maxHeaderFields: configuration.maxHeaderFields,
                            connection: connection, logger: logger))
                    try sync.addHandler(
                        HTTPRequestHandler(
                            router: router, maxBodyBytes: configuration.maxBodyBytes, bodyBuffers: bodyBuffers,
                            connection: connection,
                            onBodyTooLarge: configuration.onBodyTooLarge, access: access, logger: logger))
                }
            }
        var channels: [any Channel] = []
        for address in configuration.addresses {
            do {
                channels.append(try await address.bind(bootstrap))
            } catch {
                for channel in channels { try? await channel.close() }
                throw ListenError(description: "cannot listen on \(address): \(error)")
            }
        }
        return HTTPServer(channels: channels)
    }

    /// Stops accepting connections; resolves when the listening socket is closed.
    public func shutdown() async {
        for channel in channels { try? await channel.close() }
    }

    /// Resolves when the server has been shut down.
    public func closed() async {
        for channel in channels { try? await channel.closeFuture.get() }
    }
}

extension ListenAddress {
    /// Binds the address. The wildcard (`:port`) is the IPv6 any-address, which Linux shares with IPv4 as Go does;
    /// on a host without IPv6 it falls back to IPv4's.
    func bind(_ bootstrap: ServerBootstrap) async throws -> any Channel {
        guard isWildcard else { return try await bootstrap.bind(host: host, port: port).get() }
        do {
            return try await bootstrap.bind(host: "::", port: port).get()
        } catch {
            return try await bootstrap.bind(host: "0.0.0.0", port: port).get()
        }
    }
}

/// Reads one request at a time (the pipeline handler serialises pipelined requests) and answers it.
final class HTTPRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let router: Router
    private let access: AccessPolicy
    private let maxBodyBytes: Int
    private let onBodyTooLarge: (@Sendable (String) -> Void)?
    private let logger: Logger
    private let connection: ConnectionGuard
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    /// The request's `Content-Length`, when it has one.
    private var declaredBodyBytes: Int?
    /// `body` came from `bodyBuffers`, and goes back once the request is answered.
    private var bodyIsPooled = false
    private let bodyBuffers: RequestBodyBuffers
    private var rejected = false
    /// A response closed the connection: requests read after it (pipelined) are not answered.
    private var closing = false

    init(
        router: Router, maxBodyBytes: Int, bodyBuffers: RequestBodyBuffers, connection: ConnectionGuard,
        onBodyTooLarge: (@Sendable (String) -> Void)?, access: AccessPolicy, logger: Logger
    ) {
        self.bodyBuffers = bodyBuffers
        self.router = router
        self.access = access
        self.maxBodyBytes = maxBodyBytes
        self.connection = connection
        self.onBodyTooLarge = onBodyTooLarge
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            connection.headReceived()
            head = requestHead
            body = []
            bodyIsPooled = false
            rejected = false
            declaredBodyBytes = requestHead.headers.first(name: "content-length").flatMap(Int.init)
            if let declared = declaredBodyBytes, declared > maxBodyBytes {
                reject(context: context, declared: declared)
            }
        case .body(let chunk):
            guard !rejected else { return }
            if body.count + chunk.readableBytes > maxBodyBytes {
                reject(context: context, declared: nil)
                return
            }
            if body.isEmpty, !bodyIsPooled, let declared = declaredBodyBytes, declared > chunk.readableBytes {
                // A body in many reads: one array of the declared size, used before (see `RequestBodyBuffers`).
                body = bodyBuffers.take(capacity: declared)
                bodyIsPooled = true
            }
            chunk.withUnsafeReadableBytes { body.append(contentsOf: $0) }
        case .end:
            guard !rejected, let requestHead = head else { return }
            connection.requestReceived()
            head = nil
            var request = HTTPRequest(method: requestHead.method, uri: requestHead.uri, headers: requestHead.headers, body: body)
            let reusable = bodyIsPooled ? body : nil
            body = []
            bodyIsPooled = false
            authenticate(request: &request, head: requestHead, context: context)
            if let reusable { bodyBuffers.giveBack(reusable) }
        }
    }

    /// Basic auth before routing, so that without credentials nothing — not even whether a path exists — is told.
    private func authenticate(request: inout HTTPRequest, head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard let authenticator = access.authenticator, !access.unauthenticatedPaths.contains(request.path) else {
            dispatch(request: &request, head: head, context: context)
            return
        }
        switch authenticator.evaluate(authorization: request.headers.first(name: "authorization")) {
        case .allowed(let user):
            request.basicAuthUser = user
            dispatch(request: &request, head: head, context: context)
        case .denied:
            write(AccessPolicy.unauthorized(), for: head, context: context)
        case .needsCheck(let credentials):
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let pending = request
            authenticator.verify(credentials, on: context.eventLoop).whenComplete { result in
                let (handler, context) = loopBound.value
                guard case .success(true) = result else {
                    handler.write(AccessPolicy.unauthorized(), for: head, context: context)
                    return
                }
                var request = pending
                request.basicAuthUser = credentials.user
                handler.dispatch(request: &request, head: head, context: context)
            }
        }
    }

    private func reject(context: ChannelHandlerContext, declared: Int?) {
        rejected = true
        guard let requestHead = head else { return }
        onBodyTooLarge?(HTTPRequest.split(requestHead.uri).0)
        let response = HTTPResponse.jsonError(
            .payloadTooLarge, error: "request body too large",
            detail: "the limit is \(maxBodyBytes) bytes" + (declared.map { ", the request declared \($0)" } ?? ""))
        write(response, for: requestHead, keepAlive: false, context: context)
    }

    private func dispatch(request: inout HTTPRequest, head: HTTPRequestHead, context: ChannelHandlerContext) {
        switch router.match(method: head.method, path: request.path) {
        case .notFound:
            write(.jsonError(.notFound, error: "not found", detail: "no route for \(head.method) \(request.path)"), for: head, context: context)
        case .methodNotAllowed(let allowed):
            var response = HTTPResponse.jsonError(
                .methodNotAllowed, error: "method not allowed",
                detail: "\(request.path) allows \(allowed.map(\.rawValue).joined(separator: ", "))")
            response.headers.add(name: "allow", value: allowed.map(\.rawValue).joined(separator: ", "))
            write(response, for: head, context: context)
        case .found(let handler, let parameters):
            request.pathParameters = parameters
            switch handler {
            case .immediate(let respond):
                write(respond(request), for: head, context: context)
            case .async(let respond):
                let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                let eventLoop = context.eventLoop
                let finalRequest = request
                Task {
                    let response = await respond(finalRequest)
                    eventLoop.execute {
                        let (handler, context) = loopBound.value
                        handler.write(response, for: head, context: context)
                    }
                }
            }
        }
    }

    private func write(_ response: HTTPResponse, for head: HTTPRequestHead, keepAlive: Bool? = nil, context: ChannelHandlerContext) {
        guard context.channel.isActive, !closing else { return }
        let keepAlive = keepAlive ?? head.isKeepAlive
        var headers = response.headers
        for (name, value) in access.responseHeaders { headers.replaceOrAdd(name: name, value: value) }
        // Pre-built responses already carry their length; leaving their headers untouched avoids a copy.
        let length = String(response.body.readableBytes)
        if headers.first(name: "content-length") != length { headers.replaceOrAdd(name: "content-length", value: length) }
        if !keepAlive { headers.replaceOrAdd(name: "connection", value: "close") }
        let responseHead = HTTPResponseHead(version: head.version, status: response.status, headers: headers)
        context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
        if head.method != .HEAD && response.body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        }
        if keepAlive {
            connection.responseEnding()
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            closing = true
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            connection.closeAfterWrites()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }
}
