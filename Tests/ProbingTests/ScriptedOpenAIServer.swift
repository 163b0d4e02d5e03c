import Foundation

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

    private let server: LoopbackHTTPServer

    var port: Int { server.port }
    var baseURL: String { server.baseURL + "/v1" }
    /// Chat requests received so far, in order.
    var chatRequests: [ChatRequest] { server.requests.compactMap(Self.chatRequest) }

    private init(server: LoopbackHTTPServer) { self.server = server }

    static func start(models: [String], answer: @escaping @Sendable (ChatRequest) -> Answer) async throws
        -> ScriptedOpenAIServer
    {
        let list = #"{"object":"list","data":["#
            + models.map { #"{"id":"\#($0)","object":"model","owned_by":"test"}"# }.joined(separator: ",") + "]}"
        let server = try await LoopbackHTTPServer.start { request in
            if request.method == "GET", request.path == "/v1/models" { return .init(status: 200, json: list) }
            guard let chat = chatRequest(request) else {
                return .init(status: 404, json: #"{"error":{"message":"not found"}}"#)
            }
            let scripted = answer(chat)
            return .init(status: scripted.status, json: scripted.json)
        }
        return ScriptedOpenAIServer(server: server)
    }

    /// The chat completion a request asked for; nil for anything else.
    private static func chatRequest(_ request: LoopbackHTTPServer.Request) -> ChatRequest? {
        guard request.method == "POST", request.path == "/v1/chat/completions", let object = request.json,
            let model = object["model"] as? String
        else { return nil }
        let bearer = request.header("authorization").flatMap { value in
            value.lowercased().hasPrefix("bearer ") ? String(value.dropFirst(7)) : nil
        }
        return ChatRequest(
            model: model, tokenLimitFields: ["max_completion_tokens", "max_tokens"].filter { object[$0] != nil },
            key: bearer)
    }

    func shutdown() async { await server.shutdown() }
}

/// Runs `body` against a fresh scripted server, and always shuts it down.
func withScriptedServer<T: Sendable>(
    models: [String], answer: @escaping @Sendable (ScriptedOpenAIServer.ChatRequest) -> ScriptedOpenAIServer.Answer,
    _ body: (ScriptedOpenAIServer) async throws -> T
) async throws -> T {
    try await ScriptedOpenAIServer.start(models: models, answer: answer).serving(body)
}
