import NIOCore

/// The first handler of every connection: deadlines for reading a request, and a clean close.
///
/// - A request head must arrive within `headTimeout`, counted from the connection's start or from the first byte
///   after a response (slowloris): then the client gets 408, or a plain close when it sent nothing at all.
/// - Its body must arrive within `bodyTimeout` of the head: then 408.
/// - A connection the server closes is half-closed first (FIN after the last response) and its input read and
///   dropped for a moment, so that the client reads that response instead of a reset from unread bytes.
///
/// Idle keep-alive connections are left to the `IdleStateHandler` behind this handler. Everything runs on the
/// channel's event loop; `HTTPRequestHandler` and `HTTPProtocolErrorHandler` report the request's progress.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// How long a closing connection keeps reading (and dropping) input, and how much of it.
    static let lingerTime = TimeAmount.seconds(2)
    static let lingerBytes = 1 << 20

    private enum Phase {
        /// Waiting for a request head; `bytesSeen` once part of it arrived.
        case awaitingHead(bytesSeen: Bool)
        case readingBody
        /// The request is complete and its response not yet written.
        case handling
        /// A response was written; the connection waits for the next request.
        case idle
        /// The last response was written (or none will be): dropping input until the client closes.
        case closing(dropped: Int)
    }

    private let headTimeout: TimeAmount
    private let bodyTimeout: TimeAmount
    private var phase = Phase.awaitingHead(bytesSeen: false)
    /// When the current phase must be over; nil while a request is handled or the connection is idle.
    private var deadline: NIODeadline?
    /// One timer per connection, armed at `timerFiresAt` (never later than `deadline`). A phase that ends
    /// before it only clears `deadline`, and a later deadline does not move it: when it fires early it re-arms
    /// for what is left. So requests that follow each other schedule nothing.
    private var timer: Scheduled<Void>?
    private var timerFiresAt: NIODeadline?
    private var lingerTimer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(headTimeout: TimeAmount, bodyTimeout: TimeAmount) {
        self.headTimeout = headTimeout
        self.bodyTimeout = bodyTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { startTimer(headTimeout, context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopTimers()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        if deadline == nil, case .awaitingHead = phase { startTimer(headTimeout, context: context) }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopTimers()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch phase {
        case .closing(let dropped):
            let total = dropped + unwrapInboundIn(data).readableBytes
            phase = .closing(dropped: total)
            if total > Self.lingerBytes { context.close(promise: nil) }
            return
        case .idle:
            phase = .awaitingHead(bytesSeen: true)
            startTimer(headTimeout, context: context)
        case .awaitingHead:
            phase = .awaitingHead(bytesSeen: true)
        case .readingBody, .handling:
            break
        }
        context.fireChannelRead(data)
    }

    // MARK: Reported by the handlers behind this one

    /// The decoder produced a request head.
    func headReceived() {
        guard let context, !isClosing else { return }
        phase = .readingBody
        startTimer(bodyTimeout, context: context)
    }

    /// The request's body is complete.
    func requestReceived() {
        guard !isClosing else { return }
        cancelTimer()
        phase = .handling
    }

    /// A response that keeps the connection open is about to end.
    func responseEnding() {
        guard !isClosing else { return }
        cancelTimer()
        phase = .idle
    }

    /// No request follows: half-close once the writes so far are out, drop input for a moment, then close.
    func closeAfterWrites() {
        guard let context, !isClosing else { return }
        phase = .closing(dropped: 0)
        let channel = context.channel
        cancelTimer()
        lingerTimer = context.eventLoop.scheduleTask(in: Self.lingerTime) { channel.close(promise: nil) }
        let promise = context.eventLoop.makePromise(of: Void.self)
        promise.futureResult.whenFailure { _ in channel.close(promise: nil) }
        context.close(mode: .output, promise: promise)
    }

    /// Between a complete request and the end of its response.
    var isHandlingRequest: Bool {
        if case .handling = phase { return true }
        return false
    }

    private var isClosing: Bool {
        if case .closing = phase { return true }
        return false
    }

    // MARK: Deadlines

    private func startTimer(_ delay: TimeAmount, context: ChannelHandlerContext) {
        let due = NIODeadline.now() + delay
        deadline = due
        if let firesAt = timerFiresAt, firesAt <= due { return }
        arm(at: due, context: context)
    }

    private func arm(at due: NIODeadline, context: ChannelHandlerContext) {
        timer?.cancel()
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        timerFiresAt = due
        timer = context.eventLoop.scheduleTask(deadline: due) { loopBound.value.timerFired() }
    }

    /// The phase ended in time; the armed timer, when it fires, finds no deadline.
    private func cancelTimer() {
        deadline = nil
    }

    private func stopTimers() {
        deadline = nil
        timer?.cancel()
        timer = nil
        timerFiresAt = nil
        lingerTimer?.cancel()
        lingerTimer = nil
    }

    private func timerFired() {
        timer = nil
        timerFiresAt = nil
        guard let due = deadline, let context else { return }
        if NIODeadline.now() < due {
            arm(at: due, context: context)
            return
        }
        deadline = nil
        deadlinePassed(context: context)
    }

    private func deadlinePassed(context: ChannelHandlerContext) {
        switch phase {
        case .awaitingHead(bytesSeen: false):
            // Nothing was said: nothing to answer.
            context.close(promise: nil)
        case .awaitingHead(bytesSeen: true):
            timeOut("request head", after: headTimeout, context: context)
        case .readingBody:
            timeOut("request body", after: bodyTimeout, context: context)
        case .handling, .idle, .closing:
            break
        }
    }

    /// Answers 408 directly on the socket (no response has started: requests are answered once read) and closes.
    private func timeOut(_ what: String, after timeout: TimeAmount, context: ChannelHandlerContext) {
        let response = HTTPResponse.jsonError(
            .requestTimeout, error: "request timeout", detail: "the \(what) did not arrive within \(describe(timeout))")
        var bytes = context.channel.allocator.buffer(capacity: 256)
        bytes.writeString("HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n")
        bytes.writeString("content-length: \(response.body.readableBytes)\r\nconnection: close\r\n\r\n")
        bytes.writeImmutableBuffer(response.body)
        context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
        closeAfterWrites()
    }
}

/// "10s", "500ms"
func describe(_ amount: TimeAmount) -> String {
    let milliseconds = amount.nanoseconds / 1_000_000
    return milliseconds % 1000 == 0 ? "\(milliseconds / 1000)s" : "\(milliseconds)ms"
}
