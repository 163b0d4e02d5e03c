import NIOCore
import NIOHTTP1

/// One client connection: collects requests, asks the core what to do, writes raw HTTP/1.1 bytes.
/// Responses are written in request order; delays are scheduled on the event loop, never slept.
final class SimulatorConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = ByteBuffer

    private let core: SimulatorCore
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var queue: [(request: SimulatedRequest, keepAlive: Bool)] = []
    /// A response is scheduled or the connection is stalled on purpose; later requests wait.
    private var busy = false
    private var scheduled: Scheduled<Void>?
    private var closed = false

    /// Request bodies above this are refused: completion probes are tiny.
    private static let maxBody = 1 << 20

    init(core: SimulatorCore) { self.core = core }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
        case .body(var buffer):
            if body.count + buffer.readableBytes > Self.maxBody {
                context.close(promise: nil)
                return
            }
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            guard let head else { return }
            self.head = nil
            let request = SimulatedRequest(
                method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) },
                body: body)
            body = []
            queue.append((request, head.isKeepAlive))
            processNext(context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        scheduled?.cancel()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func processNext(context: ChannelHandlerContext) {
        guard !busy, !closed, !queue.isEmpty else { return }
        let (request, keepAlive) = queue.removeFirst()
        switch core.plan(for: request) {
        case .respond(let response, let delay):
            if delay <= 0 {
                write(response, keepAlive: keepAlive, context: context)
                return
            }
            busy = true
            scheduled = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(delay * 1e9))) {
                self.busy = false
                self.write(response, keepAlive: keepAlive, context: context)
            }
        case .neverAnswer:
            busy = true
        case .drip(let interval):
            busy = true
            send(Array("HTTP/1.1 200 OK\r\n".utf8), context: context)
            drip(interval: interval, context: context)
        case .close:
            busy = true
            context.close(promise: nil)
        }
    }

    private func write(_ response: SimulatedResponse, keepAlive: Bool, context: ChannelHandlerContext) {
        guard !closed else { return }
        send(response.encoded(keepAlive: keepAlive), context: context)
        if keepAlive {
            processNext(context: context)
        } else {
            context.close(promise: nil)
        }
    }

    /// One header byte per interval: the response never completes, the connection never idles.
    private func drip(interval: Double, context: ChannelHandlerContext) {
        guard !closed else { return }
        scheduled = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(interval * 1e9))) {
            self.send([UInt8(ascii: "x")], context: context)
            self.drip(interval: interval, context: context)
        }
    }

    private func send(_ bytes: [UInt8], context: ChannelHandlerContext) {
        guard !closed else { return }
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
    }
}
