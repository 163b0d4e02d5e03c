import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A loopback HTTP/1.1 server on 127.0.0.1 (port 0) whose answers a test writes as a function of the request:
/// the fake API of a provider kind the simulator does not play. Every request is recorded.
final class LoopbackHTTPServer: Sendable {
    struct Request: Sendable {
        var method: String
        /// Path and query, as sent.
        var target: String
        var headers: [(String, String)]
        var body: [UInt8]

        var path: Substring { target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0] }
        var query: Substring? {
            let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
            return parts.count > 1 ? parts[1] : nil
        }
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] }
    }

    struct Response: Sendable {
        var status: Int
        var headers: [(String, String)] = []
        var json: String
    }

    let port: Int
    private let channel: any Channel
    private let recorded: NIOLockedValueBox<[Request]>

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var requests: [Request] { recorded.withLockedValue { $0 } }

    private init(channel: any Channel, port: Int, recorded: NIOLockedValueBox<[Request]>) {
        self.channel = channel
        self.port = port
        self.recorded = recorded
    }

    static func start(_ answer: @escaping @Sendable (Request) -> Response) async throws -> LoopbackHTTPServer {
        let recorded = NIOLockedValueBox<[Request]>([])
        let route: @Sendable (Request) -> Response = { request in
            recorded.withLockedValue { $0.append(request) }
            return answer(request)
        }
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(LoopbackHandler(route: route))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return LoopbackHTTPServer(channel: channel, port: channel.localAddress?.port ?? 0, recorded: recorded)
    }

    func shutdown() async { try? await channel.close() }
}

/// Runs `body` against a fresh server, and always shuts it down.
func withLoopbackServer<T: Sendable>(
    _ answer: @escaping @Sendable (LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response,
    _ body: (LoopbackHTTPServer) async throws -> T
) async throws -> T {
    try await LoopbackHTTPServer.start(answer).serving(body)
}

/// HTTP/1.1 with `Content-Length` bodies and keep-alive: as much of the protocol as the probe client speaks.
private final class LoopbackHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let route: @Sendable (LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response
    private var received: [UInt8] = []

    init(route: @escaping @Sendable (LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response) { self.route = route }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        received += buffer.readBytes(length: buffer.readableBytes) ?? []
        while let request = nextRequest() {
            let answer = route(request)
            let body = Array(answer.json.utf8)
            var head = "HTTP/1.1 \(answer.status) Fake\r\ncontent-type: application/json\r\n"
            for (name, value) in answer.headers { head += "\(name): \(value)\r\n" }
            head += "content-length: \(body.count)\r\nconnection: keep-alive\r\n\r\n"
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: Array(head.utf8) + body)), promise: nil)
        }
    }

    /// Takes one complete request off the received bytes, nil until one is complete.
    private func nextRequest() -> LoopbackHTTPServer.Request? {
        guard let headEnd = headEnd(received) else { return nil }
        let lines = String(decoding: received[..<headEnd], as: UTF8.self).components(separatedBy: "\r\n")
        let requestLine = lines[0].split(separator: " ")
        let headers = lines.dropFirst().compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let length = headers.first { $0.0.lowercased() == "content-length" }.flatMap { Int($0.1) } ?? 0
        guard received.count >= headEnd + length else { return nil }
        let body = Array(received[headEnd..<headEnd + length])
        received.removeFirst(headEnd + length)
        return LoopbackHTTPServer.Request(
            method: requestLine.count > 0 ? String(requestLine[0]) : "",
            target: requestLine.count > 1 ? String(requestLine[1]) : "", headers: headers, body: body)
    }

    private func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 3..<bytes.count
        where bytes[index - 3] == 13 && bytes[index - 2] == 10 && bytes[index - 1] == 13 && bytes[index] == 10 {
            return index + 1
        }
        return nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}
