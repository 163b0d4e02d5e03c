import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A loopback OpenAI-compatible API whose chat completions a test scripts: `GET /v1/models` lists `models`,
/// `POST /v1/chat/completions` gets what `answer` says, and every chat request is recorded. For the servers
/// the simulator does not play: ones that refuse `max_completion_tokens`, hide a reasoning model behind a
/// deployment name, or answer 400 for other reasons.
final class ScriptedOpenAIServer: Sendable {
    /// A chat request as the server saw it.
    struct ChatRequest: Sendable {
        var model: String
        /// The token-limit fields the body carried (`max_tokens`, `max_completion_tokens`), sorted.
        var tokenLimitFields: [String]
        /// The bearer key presented.
        var key: String?
    }

    struct Answer: Sendable {
        var status: Int
        var json: String

        static func completion(_ model: String) -> Answer {
            Answer(
                status: 200,
                json: #"{"id":"chatcmpl-1","object":"chat.completion","model":"\#(model)","choices":[{"index":0,"message":{"role":"assistant","content":""},"finish_reason":"length"}]}"#
            )
        }

        /// OpenAI's refusal of a token-limit field, as its reasoning models send it for `max_tokens`;
        /// `echo` is appended to the message (a provider repeating what it was given).
        static func unsupportedParameter(_ field: String, echo: String = "") -> Answer {
            let other = field == "max_tokens" ? "max_completion_tokens" : "max_tokens"
            return Answer(
                status: 400,
                json: #"{"error": {"message": "Unsupported parameter: '\#(field)' is not supported with this model. Use '\#(other)' instead.\#(echo)", "type": "invalid_request_error", "param": "\#(field)", "code": "unsupported_parameter"}}"#
            )
        }

        /// An older OpenAI-compatible server's (or Azure API version's) refusal of a field it does not know.
        static func unrecognizedArgument(_ field: String, echo: String = "") -> Answer {
            Answer(
                status: 400,
                json: #"{"error":{"message":"Unrecognized request argument supplied: \#(field)\#(echo)","type":"invalid_request_error","param":null,"code":null}}"#
            )
        }
    }

    let port: Int
    private let channel: any Channel
    private let recorded: NIOLockedValueBox<[ChatRequest]>

    var baseURL: String { "http://127.0.0.1:\(port)/v1" }
    /// Chat requests received so far, in order.
    var chatRequests: [ChatRequest] { recorded.withLockedValue { $0 } }

    private init(channel: any Channel, port: Int, recorded: NIOLockedValueBox<[ChatRequest]>) {
        self.channel = channel
        self.port = port
        self.recorded = recorded
    }

    static func start(models: [String], answer: @escaping @Sendable (ChatRequest) -> Answer) async throws
        -> ScriptedOpenAIServer
    {
        let recorded = NIOLockedValueBox<[ChatRequest]>([])
        let list = #"{"object":"list","data":["#
            + models.map { #"{"id":"\#($0)","object":"model","owned_by":"test"}"# }.joined(separator: ",") + "]}"
        let route: @Sendable (ParsedRequest) -> Answer = { request in
            if request.method == "GET", request.path == "/v1/models" { return Answer(status: 200, json: list) }
            guard request.method == "POST", request.path == "/v1/chat/completions",
                let object = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any],
                let model = object["model"] as? String
            else { return Answer(status: 404, json: #"{"error":{"message":"not found"}}"#) }
            let chat = ChatRequest(
                model: model,
                tokenLimitFields: ["max_completion_tokens", "max_tokens"].filter { object[$0] != nil },
                key: request.bearerKey)
            recorded.withLockedValue { $0.append(chat) }
            return answer(chat)
        }
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(ScriptedHandler(route: route))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return ScriptedOpenAIServer(channel: channel, port: channel.localAddress?.port ?? 0, recorded: recorded)
    }

    func shutdown() async {
        try? await channel.close()
    }
}

/// Runs `body` against a fresh scripted server, and always shuts it down.
func withScriptedServer<T: Sendable>(
    models: [String], answer: @escaping @Sendable (ScriptedOpenAIServer.ChatRequest) -> ScriptedOpenAIServer.Answer,
    _ body: (ScriptedOpenAIServer) async throws -> T
) async throws -> T {
    let server = try await ScriptedOpenAIServer.start(models: models, answer: answer)
    do {
        let value = try await body(server)
        await server.shutdown()
        return value
    } catch {
        await server.shutdown()
        throw error
    }
}

private struct ParsedRequest {
    var method: String
    var path: String
    var headers: [(String, String)]
    var body: [UInt8]

    var bearerKey: String? {
        guard let value = headers.first(where: { $0.0.lowercased() == "authorization" })?.1,
            value.lowercased().hasPrefix("bearer ")
        else { return nil }
        return String(value.dropFirst(7))
    }
}

/// HTTP/1.1 with `Content-Length` bodies and keep-alive: as much of the protocol as the probe client speaks.
private final class ScriptedHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let route: @Sendable (ParsedRequest) -> ScriptedOpenAIServer.Answer
    private var received: [UInt8] = []

    init(route: @escaping @Sendable (ParsedRequest) -> ScriptedOpenAIServer.Answer) { self.route = route }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        received += buffer.readBytes(length: buffer.readableBytes) ?? []
        while let request = nextRequest() {
            let answer = route(request)
            let body = Array(answer.json.utf8)
            let head = "HTTP/1.1 \(answer.status) Scripted\r\ncontent-type: application/json\r\n"
                + "content-length: \(body.count)\r\nconnection: keep-alive\r\n\r\n"
            let out = context.channel.allocator.buffer(bytes: Array(head.utf8) + body)
            context.writeAndFlush(wrapOutboundOut(out), promise: nil)
        }
    }

    /// Takes one complete request off the received bytes, nil until one is complete.
    private func nextRequest() -> ParsedRequest? {
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
        return ParsedRequest(
            method: requestLine.count > 0 ? String(requestLine[0]) : "",
            path: requestLine.count > 1 ? String(requestLine[1]) : "", headers: headers, body: body)
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
