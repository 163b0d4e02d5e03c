import NIOCore
import NIOHTTP1
import NIOPosix

/// A fake OpenAI-compatible provider whose only cost is the delay it is told to inject: `GET /<ms>/v1/models`
/// answers the model list `model-0 … model-<n-1>` exactly `<ms>` milliseconds after the request arrived.
final class FixedDelayProvider: Sendable {
    let channel: any Channel
    let host: String
    var port: Int { channel.localAddress?.port ?? 0 }

    private init(channel: any Channel, host: String) {
        self.channel = channel
        self.host = host
    }

    static func start(host: String, models: Int) async throws -> FixedDelayProvider {
        let ids = (0..<models).map { "{\"id\":\"model-\($0)\",\"object\":\"model\"}" }.joined(separator: ",")
        let body = ByteBuffer(string: "{\"object\":\"list\",\"data\":[\(ids)]}")
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(DelayedModelList(body: body))
                }
            }
            .bind(host: host, port: 0).get()
        return FixedDelayProvider(channel: channel, host: host)
    }

    func baseURL(delayMilliseconds: Int) -> String { "http://\(host):\(port)/\(delayMilliseconds)/v1" }

    func stop() async { try? await channel.close() }
}

private final class DelayedModelList: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let body: ByteBuffer
    private var head: HTTPRequestHead?

    init(body: ByteBuffer) { self.body = body }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let requestHead): head = requestHead
        case .body: break
        case .end:
            guard let requestHead = head else { return }
            let milliseconds = requestHead.uri.split(separator: "/").first.flatMap { Int64($0) } ?? 0
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            if milliseconds <= 0 {
                respond(requestHead, context: context)
            } else {
                context.eventLoop.scheduleTask(in: .milliseconds(milliseconds)) {
                    let (handler, context) = loopBound.value
                    handler.respond(requestHead, context: context)
                }
            }
        }
    }

    private func respond(_ requestHead: HTTPRequestHead, context: ChannelHandlerContext) {
        var headers = HTTPHeaders([("content-type", "application/json"), ("content-length", String(body.readableBytes))])
        if !requestHead.isKeepAlive { headers.add(name: "connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: requestHead.version, status: .ok, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
