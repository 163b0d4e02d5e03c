import NIOCore

/// Why a proxy did not carry a probe. Its messages are fixed texts: never the proxy's URL (it may hold a
/// password) nor bytes of its answer.
enum ProxyFailure: Error, Equatable {
    /// The proxy answered `CONNECT` (or, for plain HTTP, the request) with this status: 407 for credentials,
    /// 403 for a destination it does not allow, 502/503/504 when it could not reach the provider.
    case refused(status: Int)
    /// The proxy closed the connection before answering.
    case closed
    /// The proxy's answer was not HTTP, or too long.
    case malformed
    /// The connection to the proxy failed (refused, reset, DNS, ...): the transport's own message.
    case transport(String)
    /// The probe's deadline came while the proxy had not answered yet.
    case timedOut(String)
    /// The proxy setting that applies cannot be used.
    case unusable(String)

    var message: String {
        switch self {
        case .refused(let status):
            let meaning: String
            switch status {
            // tinyproxy answers a CONNECT with wrong credentials 401, not 407.
            case 401, 407: meaning = " (proxy authentication required)"
            case 403: meaning = " (destination not allowed)"
            case 502, 503, 504: meaning = " (the proxy could not reach the provider)"
            default: meaning = ""
            }
            return "proxy answered \(status)\(meaning)"
        case .closed: return "proxy closed the connection without answering"
        case .malformed: return "proxy answered with something that is not HTTP"
        case .transport(let message): return "proxy: \(message)"
        case .timedOut(let message): return "proxy did not answer: \(message)"
        case .unusable(let message): return "proxy setting unusable: \(message)"
        }
    }
}

/// Opens a `CONNECT` tunnel through an HTTP proxy as soon as the connection to the proxy is up, and completes
/// `established` when the proxy answers 2xx; after that it passes every byte through, and TLS with the provider
/// runs above it. Lives on the channel's event loop.
final class ProxyTunnelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The longest answer head to `CONNECT` accepted.
    static let maxHeadBytes = 16 << 10

    let established: EventLoopPromise<Void>
    private let request: String
    private var head: [UInt8] = []
    /// The tunnel is open: bytes pass through.
    private var open = false
    /// `established` is completed.
    private var settled = false

    /// - Parameters:
    ///   - authority: `host:port` of the provider (IPv6 literals in brackets).
    ///   - authorization: the `Proxy-Authorization` value, if the proxy wants credentials.
    init(authority: String, authorization: String?, promise: EventLoopPromise<Void>) {
        var request = "CONNECT \(authority) HTTP/1.1\r\nHost: \(authority)\r\n"
        if let authorization { request += "Proxy-Authorization: \(authorization)\r\n" }
        self.request = request + "\r\n"
        self.established = promise
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: request)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !open else {
            context.fireChannelRead(data)
            return
        }
        var buffer = unwrapInboundIn(data)
        head += buffer.readBytes(length: buffer.readableBytes) ?? []
        guard let end = headEnd(head) else {
            if head.count > Self.maxHeadBytes { fail(.malformed, context: context) }
            return
        }
        guard let status = statusCode(head) else { return fail(.malformed, context: context) }
        guard (200..<300).contains(status) else { return fail(.refused(status: status), context: context) }
        // The provider speaks only after the TLS client hello: bytes beyond the head are not the provider's.
        guard end == head.count else { return fail(.malformed, context: context) }
        open = true
        settled = true
        head = []
        established.succeed()
    }

    func channelInactive(context: ChannelHandlerContext) {
        settle(.closed)
        context.fireChannelInactive()
    }

    /// A connection that never came up leaves its pipeline without becoming active.
    func handlerRemoved(context: ChannelHandlerContext) { settle(.closed) }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !open else {
            context.fireErrorCaught(error)
            return
        }
        fail(.transport(classifyTransportError(error).1), context: context)
    }

    private func fail(_ failure: ProxyFailure, context: ChannelHandlerContext) {
        open = true  // nothing more is read from this connection
        settle(failure)
        context.close(promise: nil)
    }

    private func settle(_ failure: ProxyFailure) {
        guard !settled else { return }
        settled = true
        established.fail(failure)
    }
}

/// The index after the blank line that ends an HTTP head, if it has arrived.
private func headEnd(_ bytes: [UInt8]) -> Int? {
    guard bytes.count >= 4 else { return nil }
    for index in 3..<bytes.count where bytes[index] == 10 {
        if bytes[index - 1] == 13, bytes[index - 2] == 10, bytes[index - 3] == 13 { return index + 1 }
        if bytes[index - 1] == 10 { return index + 1 }
    }
    return nil
}

/// The status of `HTTP/1.x NNN ...`.
private func statusCode(_ head: [UInt8]) -> Int? {
    let prefix = Array("HTTP/1.".utf8)
    guard head.count >= 12, Array(head[0..<7]) == prefix, head[8] == UInt8(ascii: " ") else { return nil }
    let digits = head[9..<12]
    guard digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
    return digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
}
