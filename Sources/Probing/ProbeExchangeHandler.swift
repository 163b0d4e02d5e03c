import HealthCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS

#if canImport(Glibc)
    import Glibc
#endif

/// Why an exchange on a connection ended without a complete response.
enum ExchangeFailure: Error {
    /// The connection closed before any byte of a response arrived.
    case closedBeforeResponse
    /// The connection closed, or broke, after part of the response arrived.
    case cutShort
    /// The body grew past the client's limit.
    case bodyTooLarge(limit: Int)
    /// The bytes were not HTTP/1.x.
    case malformed
    /// The TLS handshake did not complete.
    case tls
    /// The connection failed under the exchange (reset, refused, ...).
    case transport(FailureReason, String)
}

/// A complete response as read off one connection.
struct ReceivedResponse {
    var head: HTTPResponseHead
    var body: ByteBuffer
    /// The connection may carry another request.
    var reusable: Bool
}

/// Runs one request/response exchange at a time on its channel and collects the response, up to a body
/// limit. Lives on the channel's event loop; `start` must be called there.
final class ProbeExchangeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private enum State {
        case idle
        case awaitingHead(EventLoopPromise<ReceivedResponse>)
        case readingBody(EventLoopPromise<ReceivedResponse>, HTTPResponseHead, ByteBuffer)
        case closed
    }

    private var state = State.idle
    private var context: ChannelHandlerContext?
    private var maxBodyBytes = 0
    private var requestKeepAlive = true
    /// TLS is in the pipeline and its handshake has not completed yet.
    private var handshakePending: Bool

    init(tls: Bool) { handshakePending = tls }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    /// Writes the request and completes `promise` with the response or an `ExchangeFailure`.
    func start(
        head: HTTPRequestHead, body: ByteBuffer?, maxBodyBytes: Int, promise: EventLoopPromise<ReceivedResponse>
    ) {
        guard let context, case .idle = state else {
            // Closed before the request could go out (by the peer, or during the TLS handshake).
            promise.fail(handshakePending ? ExchangeFailure.tls : ExchangeFailure.closedBeforeResponse)
            return
        }
        self.maxBodyBytes = maxBodyBytes
        requestKeepAlive = head.isKeepAlive
        state = .awaitingHead(promise)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), .awaitingHead(let promise)):
            // 1xx answers are interim: the real head follows.
            if (100..<200).contains(head.status.code) && head.status.code != 101 { return }
            var buffer = context.channel.allocator.buffer(capacity: 0)
            if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > 0 {
                guard length <= maxBodyBytes else {
                    fail(ExchangeFailure.bodyTooLarge(limit: maxBodyBytes), context: context)
                    return
                }
                buffer.reserveCapacity(length)
            }
            state = .readingBody(promise, head, buffer)
        case (.body(var part), .readingBody(let promise, let head, var buffer)):
            guard buffer.readableBytes + part.readableBytes <= maxBodyBytes else {
                fail(ExchangeFailure.bodyTooLarge(limit: maxBodyBytes), context: context)
                return
            }
            state = .idle  // avoid a copy-on-write of the buffer while appending
            buffer.writeBuffer(&part)
            state = .readingBody(promise, head, buffer)
        case (.end, .readingBody(let promise, let head, let buffer)):
            let reusable = requestKeepAlive && head.isKeepAlive
            state = reusable ? .idle : .closed
            if !reusable { context.close(promise: nil) }
            promise.succeed(ReceivedResponse(head: head, body: buffer, reusable: reusable))
        default:
            // Bytes nobody asked for (a response without a request): the connection is not trustworthy.
            fail(ExchangeFailure.malformed, context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent { handshakePending = false }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let failure: ExchangeFailure
        if handshakePending || error is NIOSSLError || error is BoringSSLError {
            failure = .tls
        } else if error is HTTPParserError {
            if case .readingBody = state { failure = .cutShort } else { failure = .malformed }
        } else {
            let (reason, message) = classifyTransportError(error)
            failure = .transport(reason, message)
        }
        fail(failure, context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        switch state {
        case .awaitingHead(let promise):
            state = .closed
            promise.fail(handshakePending ? ExchangeFailure.tls : ExchangeFailure.closedBeforeResponse)
        case .readingBody(let promise, _, _):
            state = .closed
            promise.fail(ExchangeFailure.cutShort)
        case .idle, .closed:
            state = .closed
        }
        context.fireChannelInactive()
    }

    /// The connection can take a new exchange.
    var isIdle: Bool {
        if case .idle = state, context?.channel.isActive == true { return true }
        return false
    }

    private func fail(_ failure: ExchangeFailure, context: ChannelHandlerContext) {
        let promise: EventLoopPromise<ReceivedResponse>?
        switch state {
        case .awaitingHead(let pending), .readingBody(let pending, _, _): promise = pending
        case .idle, .closed: promise = nil
        }
        state = .closed
        context.close(promise: nil)
        promise?.fail(failure)
    }
}

/// The failure reason and a short, fixed message for an error of the connection or the socket: never
/// text from the peer or the request.
func classifyTransportError(_ error: any Error) -> (FailureReason, String) {
    if let proxy = error as? ProxyFailure { return (.proxy, proxy.message) }
    if error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError { return (.tls, "TLS handshake failed") }
    if let connection = error as? NIOConnectionError {
        if connection.connectionErrors.isEmpty { return (.dns, "DNS lookup failed") }
        return classifyTransportError(connection.connectionErrors[0].error)
    }
    if let channelError = error as? ChannelError, case .connectTimeout = channelError { return (.timeout, "connect timed out") }
    if let io = error as? IOError {
        switch io.errnoCode {
        case ECONNREFUSED: return (.connect, "connection refused")
        case ECONNRESET: return (.connect, "connection reset")
        case EPIPE: return (.connect, "connection closed while sending")
        case ETIMEDOUT: return (.timeout, "connect timed out")
        case ENETUNREACH, EHOSTUNREACH: return (.connect, "network unreachable")
        case EADDRNOTAVAIL: return (.connect, "address not available")
        default: return (.connect, "connection error (errno \(io.errnoCode))")
        }
    }
    if error is SocketAddressError { return (.dns, "DNS lookup failed") }
    return (.connect, "connection error")
}
