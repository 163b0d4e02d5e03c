import Logging
import NIOCore
import NIOHTTP1

/// Answers a request the decoder could not read with a JSON error and closes the connection cleanly:
/// 431 for a request head over the limits (bytes of request line and headers, number of header fields), 400 for
/// anything malformed.
/// The client's bytes are never echoed back.
final class HTTPProtocolErrorHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let maxHeadBytes: Int
    private let maxHeaderFields: Int
    private let connection: ConnectionGuard
    private let logger: Logger
    private var failed = false

    init(maxHeadBytes: Int, maxHeaderFields: Int, connection: ConnectionGuard, logger: Logger) {
        self.maxHeadBytes = maxHeadBytes
        self.maxHeaderFields = maxHeaderFields
        self.connection = connection
        self.logger = logger
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let parserError: HTTPParserError
        if let error = error as? HTTPParserError {
            parserError = error
        } else if case ByteToMessageDecoderError.dataReceivedInErrorState = error {
            return  // more bytes after a request we already refused
        } else {
            context.fireErrorCaught(error)
            return
        }
        guard !failed else { return }
        failed = true
        logger.debug("unreadable request", metadata: ["error": "\(parserError)"])
        // A request is being answered (an answer of an async route may still come): a 400 now would land in
        // the middle of it, so the connection just closes. The connection guard knows; watching every
        // outbound part here cost a dynamic cast per part of every response.
        guard !connection.isHandlingRequest else {
            context.close(promise: nil)
            return
        }
        let response = Self.response(for: parserError, maxHeadBytes: maxHeadBytes, maxHeaderFields: maxHeaderFields)
        var headers = response.headers
        headers.replaceOrAdd(name: "content-length", value: String(response.body.readableBytes))
        headers.replaceOrAdd(name: "connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        connection.closeAfterWrites()
    }

    static func response(for error: HTTPParserError, maxHeadBytes: Int, maxHeaderFields: Int) -> HTTPResponse {
        switch error {
        case .headerOverflow:
            return .jsonError(
                .requestHeaderFieldsTooLarge, error: "request head too large",
                detail: "the request line and headers are limited to \(maxHeadBytes) bytes and \(maxHeaderFields) header fields")
        case .invalidVersion:
            return .jsonError(.badRequest, error: "bad request", detail: "malformed request: unsupported HTTP version")
        case .invalidMethod:
            return .jsonError(.badRequest, error: "bad request", detail: "malformed request line")
        case .invalidURL, .invalidCharactersUsed:
            return .jsonError(.badRequest, error: "bad request", detail: "malformed request target or header")
        case .invalidHeaderToken, .lfExpected, .invalidConstant:
            return .jsonError(.badRequest, error: "bad request", detail: "malformed header")
        case .invalidContentLength, .unexpectedContentLength, .invalidChunkSize:
            return .jsonError(.badRequest, error: "bad request", detail: "malformed body framing")
        default:
            return .jsonError(.badRequest, error: "bad request", detail: "malformed request")
        }
    }
}
