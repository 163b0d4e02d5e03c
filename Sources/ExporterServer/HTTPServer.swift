import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// A small HTTP/1.1 server: keep-alive, a request body limit, an idle timeout, and a router.
public final class HTTPServer: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        /// Largest request body accepted; larger ones get 413 and the connection is closed.
        public var maxBodyBytes: Int
        /// Connections idle this long are closed.
        public var idleTimeout: TimeAmount
        /// Told the path of every request refused for its body size (so that a route can count it).
        public var onBodyTooLarge: (@Sendable (String) -> Void)?
        public init(
            host: String = "127.0.0.1", port: Int = 0, maxBodyBytes: Int = 1 << 20, idleTimeout: TimeAmount = .seconds(60),
            onBodyTooLarge: (@Sendable (String) -> Void)? = nil
        ) {
            self.host = host
            self.port = port
            self.maxBodyBytes = maxBodyBytes
            self.idleTimeout = idleTimeout
            self.onBodyTooLarge = onBodyTooLarge
        }
    }

    private let channel: any Channel
    public let localPort: Int

    private init(channel: any Channel) {
        self.channel = channel
        self.localPort = channel.localAddress?.port ?? 0
    }

    /// Binds and starts serving. Returns once the socket listens.
    public static func start(
        configuration: Configuration, router: Router, logger: Logger,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> HTTPServer {
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(IdleStateHandler(allTimeout: configuration.idleTimeout))
                    try sync.configureHTTPServerPipeline(withErrorHandling: true)
                    try sync.addHandler(
                        HTTPRequestHandler(
                            router: router, maxBodyBytes: configuration.maxBodyBytes,
                            onBodyTooLarge: configuration.onBodyTooLarge, logger: logger))
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
        return HTTPServer(channel: channel)
    }

    /// Stops accepting connections; resolves when the listening socket is closed.
    public func shutdown() async {
        try? await channel.close()
    }

    /// Resolves when the server has been shut down.
    public func closed() async {
        try? await channel.closeFuture.get()
    }
}

/// Reads one request at a time (the pipeline handler serialises pipelined requests) and answers it.
final class HTTPRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let router: Router
    private let maxBodyBytes: Int
    private let onBodyTooLarge: (@Sendable (String) -> Void)?
    private let logger: Logger
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var rejected = false

    init(router: Router, maxBodyBytes: Int, onBodyTooLarge: (@Sendable (String) -> Void)?, logger: Logger) {
        self.router = router
        self.maxBodyBytes = maxBodyBytes
        self.onBodyTooLarge = onBodyTooLarge
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body = nil
            rejected = false
            if let declared = requestHead.headers.first(name: "content-length").flatMap(Int.init), declared > maxBodyBytes {
                reject(context: context, declared: declared)
            }
        case .body(var chunk):
            guard !rejected else { return }
            if (body?.readableBytes ?? 0) + chunk.readableBytes > maxBodyBytes {
                reject(context: context, declared: nil)
                return
            }
            if body == nil {
                body = chunk
            } else {
                body!.writeBuffer(&chunk)
            }
        case .end:
            guard !rejected, let requestHead = head else { return }
            head = nil
            var request = HTTPRequest(method: requestHead.method, uri: requestHead.uri, headers: requestHead.headers, body: body ?? ByteBuffer())
            body = nil
            dispatch(request: &request, head: requestHead, context: context)
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
        guard context.channel.isActive else { return }
        let keepAlive = keepAlive ?? head.isKeepAlive
        var headers = response.headers
        // Pre-built responses already carry their length; leaving their headers untouched avoids a copy.
        let length = String(response.body.readableBytes)
        if headers.first(name: "content-length") != length { headers.replaceOrAdd(name: "content-length", value: length) }
        if !keepAlive { headers.replaceOrAdd(name: "connection", value: "close") }
        let responseHead = HTTPResponseHead(version: head.version, status: response.status, headers: headers)
        context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
        if head.method != .HEAD && response.body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
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
