import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// A loopback server that misbehaves at the byte level, one fault for every connection: what a broken
/// provider, proxy or load balancer does to a client.
final class FaultyServer: Sendable {
    enum Fault: Sendable {
        /// Accepts and never reads nor writes.
        case hangAfterAccept
        /// A status line, then one byte every `interval` seconds.
        case drip(interval: Double)
        /// Headers announcing `announced` body bytes, `sent` of them, then close.
        case closeMidBody(announced: Int, sent: Int)
        /// A status line and half a header, then close.
        case closeMidHeaders
        /// A complete response with this body.
        case respond(status: Int, headers: [(String, String)], body: String)
        /// A 200 announcing `bytes` bytes of body, sent as fast as the client reads.
        case hugeBody(bytes: Int)
        /// A chunked 200 that never ends, sent as fast as the client reads.
        case endlessChunks
        /// Bytes that are not HTTP.
        case garbage
        /// `302` to `/loop/<n+1>` (or to the same path when `selfLoop`) on every request.
        case redirectLoop(selfLoop: Bool)
        /// A kept-alive 200 to the requests of a connection before its `n`th, which is read and the connection closed
        /// without an answer: with 2, a server that closes an idle connection just as a request arrives.
        case closeOnRequest(Int)
    }

    let port: Int
    private let channel: any Channel
    private let accepted: NIOLockedValueBox<Int>
    private let open: NIOLockedValueBox<Int>

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var httpsBaseURL: String { "https://localhost:\(port)" }
    var connectionsAccepted: Int { accepted.withLockedValue { $0 } }
    /// Connections accepted and not closed yet (by either side).
    var connectionsOpen: Int { open.withLockedValue { $0 } }

    private init(channel: any Channel, port: Int, accepted: NIOLockedValueBox<Int>, open: NIOLockedValueBox<Int>) {
        self.channel = channel
        self.port = port
        self.accepted = accepted
        self.open = open
    }

    /// - Parameters:
    ///   - tls: when set, the server speaks TLS with this context before the fault.
    ///   - host: the local address to listen on.
    static func start(_ fault: Fault, tls: NIOSSLContext? = nil, host: String = "127.0.0.1") async throws -> FaultyServer {
        let counter = NIOLockedValueBox(0)
        let open = NIOLockedValueBox(0)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 2048)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: true)
            .childChannelInitializer { child in
                counter.withLockedValue { $0 += 1 }
                open.withLockedValue { $0 += 1 }
                child.closeFuture.whenComplete { _ in open.withLockedValue { $0 -= 1 } }
                return child.eventLoop.makeCompletedFuture {
                    if let tls { try child.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try child.pipeline.syncOperations.addHandler(FaultHandler(fault: fault))
                }
            }
            .bind(host: host, port: 0).get()
        return FaultyServer(channel: channel, port: channel.localAddress?.port ?? 0, accepted: counter, open: open)
    }

    func shutdown() async {
        try? await channel.close()
    }
}

private final class FaultHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let fault: FaultyServer.Fault
    private var request: [UInt8] = []
    private var answered = false
    /// Body bytes still to send for the streaming faults; nil for endless.
    private var remaining: Int?
    private var streaming = false
    /// Requests read on this connection.
    private var requests = 0

    init(fault: FaultyServer.Fault) { self.fault = fault }

    func channelActive(context: ChannelHandlerContext) {
        if case .hangAfterAccept = fault { context.channel.setOption(.autoRead, value: false).whenComplete { _ in } }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        request += buffer.readBytes(length: buffer.readableBytes) ?? []
        guard !answered, let end = headEnd(request) else { return }
        let head = Array(request[..<end])
        request.removeFirst(end)
        answer(context: context, path: path(of: head))
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if streaming && context.channel.isWritable { pump(context: context) }
    }

    private func answer(context: ChannelHandlerContext, path: String) {
        requests += 1
        switch fault {
        case .hangAfterAccept:
            return
        case .drip(let interval):
            answered = true
            write(context, "HTTP/1.1 200 OK\r\n")
            drip(context: context, interval: interval)
        case .closeMidBody(let announced, let sent):
            answered = true
            write(context, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(announced)\r\n\r\n")
            write(context, String(repeating: "x", count: sent))
            context.close(promise: nil)
        case .closeMidHeaders:
            answered = true
            write(context, "HTTP/1.1 200 OK\r\nContent-Ty")
            context.close(promise: nil)
        case .respond(let status, let headers, let body):
            var text = "HTTP/1.1 \(status) Whatever\r\nContent-Length: \(body.utf8.count)\r\n"
            for (name, value) in headers { text += "\(name): \(value)\r\n" }
            write(context, text + "\r\n" + body)
        case .hugeBody(let bytes):
            stream(context: context, framing: "Content-Length: \(bytes)", bytes: bytes)
        case .endlessChunks:
            stream(context: context, framing: "Transfer-Encoding: chunked", bytes: nil)
        case .garbage:
            answered = true
            write(context, "SSH-2.0-OpenSSH_9.2\r\n\u{0}\u{1}\u{2}garbage garbage\r\n\r\n")
        case .redirectLoop(let selfLoop):
            let next: String
            if selfLoop {
                next = path
            } else {
                let number = Int(path.split(separator: "/").last ?? "") ?? 0
                next = "/loop/\(number + 1)"
            }
            write(context, "HTTP/1.1 302 Found\r\nLocation: \(next)\r\nContent-Length: 0\r\n\r\n")
        case .closeOnRequest(let n):
            if requests < n {
                write(context, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
            } else {
                context.close(promise: nil)
            }
        }
    }

    /// A 200 head with `framing`, then body bytes as fast as the client reads (`bytes` nil: forever).
    private func stream(context: ChannelHandlerContext, framing: String, bytes: Int?) {
        answered = true
        write(context, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\(framing)\r\n\r\n")
        remaining = bytes
        streaming = true
        pump(context: context)
    }

    private func pump(context: ChannelHandlerContext) {
        let chunk = 64 * 1024
        while context.channel.isWritable {
            if case .endlessChunks = fault {
                var buffer = context.channel.allocator.buffer(capacity: chunk + 16)
                buffer.writeString(String(chunk, radix: 16) + "\r\n")
                buffer.writeRepeatingByte(UInt8(ascii: " "), count: chunk)
                buffer.writeString("\r\n")
                context.write(wrapOutboundOut(buffer), promise: nil)
            } else {
                guard let left = remaining, left > 0 else {
                    streaming = false
                    break
                }
                let size = min(chunk, left)
                var buffer = context.channel.allocator.buffer(capacity: size)
                buffer.writeRepeatingByte(UInt8(ascii: " "), count: size)
                remaining = left - size
                context.write(wrapOutboundOut(buffer), promise: nil)
            }
            context.flush()
        }
    }

    private func drip(context: ChannelHandlerContext, interval: Double) {
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        loop.scheduleTask(in: .milliseconds(Int64(interval * 1000))) {
            let (handler, context) = bound.value
            guard context.channel.isActive else { return }
            handler.write(context, "X")
            handler.drip(context: context, interval: interval)
        }
    }

    private func write(_ context: ChannelHandlerContext, _ text: String) {
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: text)), promise: nil)
    }

    private func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 3..<bytes.count
        where bytes[index - 3] == 13 && bytes[index - 2] == 10 && bytes[index - 1] == 13 && bytes[index] == 10 {
            return index + 1
        }
        return nil
    }

    private func path(of head: [UInt8]) -> String {
        let line = head.split(separator: 13, maxSplits: 1).first ?? []
        let parts = line.split(separator: 32)
        return parts.count > 1 ? String(decoding: parts[1], as: UTF8.self) : "/"
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}
