#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HealthCore
import Probing

/// The healthy answers of each provider kind's endpoints. Pure: request in, response out.
struct SimulatedEndpoints: Sendable {
    let provider: SimulatedProvider
    /// The full model list body, built once: thousands of models must not cost a rebuild per request.
    private let modelListBody: [UInt8]

    init(provider: SimulatedProvider) {
        self.provider = provider
        self.modelListBody = Array(Self.fullModelList(provider).utf8)
    }

    /// The answer to `path` (below the provider's prefix), or a 404.
    func respond(to request: SimulatedRequest, path: Substring, requestNumber: Int) -> SimulatedResponse {
        let method = request.method
        switch provider.kind {
        case .openai, .openrouter:
            let apiPath = provider.kind == .openai ? "/v1" : "/api/v1"
            guard path.hasPrefix(apiPath) else { return notFound(path) }
            let rest = path.dropFirst(apiPath.count)
            if method == "GET", rest == "/models" { return listResponse(requestNumber: requestNumber) }
            if method == "GET", rest.hasPrefix("/models/") { return modelLookup(String(rest.dropFirst(8))) }
            if method == "POST", rest == "/chat/completions" { return chatCompletion(request) }
            if provider.kind == .openrouter, method == "GET", rest == "/key" { return openRouterKey() }
        case .anthropic:
            if method == "GET", path == "/v1/models" { return anthropicModels(request.query) }
            if method == "POST", path == "/v1/messages" { return anthropicMessage(request) }
        case .gemini:
            if method == "GET", path == "/v1beta/models" { return geminiModels(request.query) }
            if method == "POST", path.hasPrefix("/v1beta/models/"), path.hasSuffix(":generateContent") {
                let model = path.dropFirst("/v1beta/models/".count).dropLast(":generateContent".count)
                return geminiGenerate(String(model), request)
            }
        case .ollama:
            if method == "GET", path == "/api/tags" { return listResponse(requestNumber: requestNumber) }
            if method == "POST", path == "/api/generate" { return ollamaGenerate(request) }
        case .huggingface:
            if method == "GET", path == "/api/whoami-v2" {
                return SimulatedResponse(
                    status: 200, json: #"{"type":"user","name":"simulated-user","auth":{"type":"access_token"}}"#)
            }
            if method == "GET", path.hasPrefix("/api/models/") {
                return huggingFaceModel(percentDecode(path.dropFirst("/api/models/".count)))
            }
        default:
            // Kinds the simulator does not play are tested against fakes of their own.
            break
        }
        return notFound(path)
    }

    // MARK: model lists

    static func fullModelList(_ provider: SimulatedProvider) -> String {
        switch provider.kind {
        case .openai, .openrouter:
            let items = provider.models.map {
                #"{"id":\#(jsonString($0)),"object":"model","created":1700000000,"owned_by":"simulator"}"#
            }
            return #"{"object":"list","data":["# + items.joined(separator: ",") + "]}"
        case .ollama:
            let items = provider.models.map {
                #"{"name":\#(jsonString($0)),"model":\#(jsonString($0)),"size":1000000,"digest":"0"}"#
            }
            return #"{"models":["# + items.joined(separator: ",") + "]}"
        default:
            return ""  // paginated or per-model (Anthropic, Gemini, HuggingFace): built per request
        }
    }

    /// The cached full list, with healthy rate-limit headers that drift with the request count.
    private func listResponse(requestNumber: Int) -> SimulatedResponse {
        SimulatedResponse(
            status: 200,
            headers: [("content-type", "application/json")] + healthyRateLimitHeaders(requestNumber: requestNumber),
            body: modelListBody)
    }

    func healthyRateLimitHeaders(requestNumber: Int) -> [(String, String)] {
        let used = requestNumber % 1000
        switch provider.kind {
        case .openai:
            return [
                ("x-ratelimit-limit-requests", "10000"), ("x-ratelimit-remaining-requests", "\(10000 - used)"),
                ("x-ratelimit-reset-requests", "6m0s"), ("x-ratelimit-limit-tokens", "2000000"),
                ("x-ratelimit-remaining-tokens", "\(2_000_000 - used * 100)"), ("x-ratelimit-reset-tokens", "20ms"),
            ]
        case .anthropic:
            let reset = Self.rfc3339(Date().timeIntervalSince1970 + 60)
            return [
                ("anthropic-ratelimit-requests-limit", "4000"),
                ("anthropic-ratelimit-requests-remaining", "\(4000 - used)"),
                ("anthropic-ratelimit-requests-reset", reset),
                ("anthropic-ratelimit-tokens-limit", "400000"),
                ("anthropic-ratelimit-tokens-remaining", "\(400_000 - used * 10)"),
                ("anthropic-ratelimit-tokens-reset", reset),
            ]
        default:
            return []
        }
    }

    private func anthropicModels(_ query: [String: String]) -> SimulatedResponse {
        let limit = min(1000, max(1, Int(query["limit"] ?? "") ?? 20))
        let start = query["after_id"].flatMap { id in provider.models.firstIndex(of: id).map { $0 + 1 } } ?? 0
        let page = provider.models[min(start, provider.models.count)..<min(start + limit, provider.models.count)]
        let items = page.map {
            #"{"type":"model","id":\#(jsonString($0)),"display_name":\#(jsonString($0)),"created_at":"2025-01-01T00:00:00Z"}"#
        }
        let hasMore = start + limit < provider.models.count
        let firstID: String = page.first.map(jsonString) ?? "null"
        let lastID: String = page.last.map(jsonString) ?? "null"
        let list: String = items.joined(separator: ",")
        let json = #"{"data":[\#(list)],"has_more":\#(hasMore),"first_id":\#(firstID),"last_id":\#(lastID)}"#
        return SimulatedResponse(status: 200, headers: healthyRateLimitHeaders(requestNumber: 0), json: json)
    }

    private func geminiModels(_ query: [String: String]) -> SimulatedResponse {
        let size = min(1000, max(1, Int(query["pageSize"] ?? "") ?? 50))
        let start = min(provider.models.count, max(0, Int(query["pageToken"] ?? "") ?? 0))
        let end = min(start + size, provider.models.count)
        let items = provider.models[start..<end].map {
            #"{"name":\#(jsonString("models/" + $0)),"displayName":\#(jsonString($0)),"supportedGenerationMethods":["generateContent"]}"#
        }
        var json = #"{"models":["# + items.joined(separator: ",") + "]"
        if end < provider.models.count { json += #","nextPageToken":"\#(end)""# }
        return SimulatedResponse(status: 200, json: json + "}")
    }

    private func modelLookup(_ id: String) -> SimulatedResponse {
        guard provider.models.contains(id) else { return notFound(Substring(id)) }
        return SimulatedResponse(status: 200, json: #"{"id":\#(jsonString(id)),"object":"model"}"#)
    }

    private func huggingFaceModel(_ id: String) -> SimulatedResponse {
        guard provider.models.contains(id) else {
            return SimulatedResponse(status: 404, json: #"{"error":"Repository not found"}"#)
        }
        return SimulatedResponse(
            status: 200, json: #"{"id":\#(jsonString(id)),"modelId":\#(jsonString(id)),"private":false}"#)
    }

    private func openRouterKey() -> SimulatedResponse {
        let limit = provider.creditRemaining == nil ? "null" : "10"
        let remaining = provider.creditRemaining.map { "\($0)" } ?? "null"
        return SimulatedResponse(
            status: 200,
            json: #"{"data":{"label":"sk-or-v1-sim","limit":\#(limit),"limit_remaining":\#(remaining),"usage":0,"is_free_tier":false}}"#
        )
    }

    // MARK: completions

    /// The token budget a completion request asks for, from whichever field its kind uses.
    private func requestedTokens(_ request: SimulatedRequest, path: [String]) -> Int? {
        guard var object = JSONText.parse(request.body) else { return nil }
        for key in path.dropLast() {
            guard let next = (object as? [String: Any])?[key] else { return nil }
            object = next
        }
        return ((object as? [String: Any])?[path.last!] as? Double).flatMap { Int(exactly: $0.rounded(.towardZero)) }
    }

    private func requestedModel(_ request: SimulatedRequest) -> String? {
        guard let object = JSONText.object(request.body) else { return nil }
        return object["model"] as? String
    }

    /// A tiny budget is cut off, as a real model would be.
    private func cutOff(_ tokens: Int?) -> Bool { (tokens ?? 16) < 16 }

    private func chatCompletion(_ request: SimulatedRequest) -> SimulatedResponse {
        guard let model = requestedModel(request) else { return badRequest("invalid JSON body") }
        guard provider.models.contains(model) else { return notFound(Substring(model)) }
        // OpenRouter translates `max_tokens` for every model; OpenAI's reasoning models refuse it.
        if provider.kind == .openai, Self.isOpenAIReasoningModel(model),
            requestedTokens(request, path: ["max_tokens"]) != nil
        {
            return Self.maxTokensUnsupported
        }
        let tokens = requestedTokens(request, path: ["max_tokens"])
            ?? requestedTokens(request, path: ["max_completion_tokens"])
        let finish = cutOff(tokens) ? "length" : "stop"
        return SimulatedResponse(
            status: 200,
            json: #"{"id":"chatcmpl-sim","object":"chat.completion","model":\#(jsonString(model)),"choices":[{"index":0,"message":{"role":"assistant","content":"po"},"finish_reason":"\#(finish)"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}"#
        )
    }

    /// OpenAI's answer when one of its reasoning models is sent `max_tokens`: the same status, content type and
    /// error fields.
    static let maxTokensUnsupported = SimulatedResponse(
        status: 400,
        json: #"{"error": {"message": "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", "type": "invalid_request_error", "param": "max_tokens", "code": "unsupported_parameter"}}"#
    )

    /// OpenAI's reasoning families: `o<digit>…` and `gpt-5…`, also as fine-tunes (`ft:o4-mini-…`) and behind
    /// a gateway's `openai/` prefix. (The simulator plays the provider, so it keeps its own copy of the rule
    /// rather than borrowing the prober's.)
    static func isOpenAIReasoningModel(_ model: String) -> Bool {
        var id = Substring(model.lowercased())
        for prefix in ["openai/", "ft:"] where id.hasPrefix(prefix) { id = id.dropFirst(prefix.count) }
        if id.hasPrefix("gpt-5") { return true }
        guard id.first == "o", let second = id.dropFirst().first else { return false }
        return second.isASCII && second.isNumber
    }

    private func anthropicMessage(_ request: SimulatedRequest) -> SimulatedResponse {
        guard let model = requestedModel(request) else { return badRequest("invalid JSON body") }
        guard provider.models.contains(model) else { return notFound(Substring(model)) }
        let stop = cutOff(requestedTokens(request, path: ["max_tokens"])) ? "max_tokens" : "end_turn"
        return SimulatedResponse(
            status: 200,
            json: #"{"id":"msg_sim","type":"message","role":"assistant","model":\#(jsonString(model)),"content":[{"type":"text","text":"po"}],"stop_reason":"\#(stop)","usage":{"input_tokens":1,"output_tokens":1}}"#
        )
    }

    private func geminiGenerate(_ model: String, _ request: SimulatedRequest) -> SimulatedResponse {
        guard provider.models.contains(model) else { return notFound(Substring(model)) }
        let tokens = requestedTokens(request, path: ["generationConfig", "maxOutputTokens"])
        let finish = cutOff(tokens) ? "MAX_TOKENS" : "STOP"
        return SimulatedResponse(
            status: 200,
            json: #"{"candidates":[{"content":{"parts":[{"text":"po"}],"role":"model"},"finishReason":"\#(finish)"}],"usageMetadata":{"promptTokenCount":1,"candidatesTokenCount":1}}"#
        )
    }

    private func ollamaGenerate(_ request: SimulatedRequest) -> SimulatedResponse {
        guard let model = requestedModel(request) else { return badRequest("invalid JSON body") }
        guard provider.models.contains(model) || provider.models.contains(model + ":latest") else {
            return SimulatedResponse(status: 404, json: #"{"error":"model \#(jsonString(model).dropFirst().dropLast()) not found, try pulling it first"}"#)
        }
        let reason = cutOff(requestedTokens(request, path: ["options", "num_predict"])) ? "length" : "stop"
        return SimulatedResponse(
            status: 200,
            json: #"{"model":\#(jsonString(model)),"response":"po","done":true,"done_reason":"\#(reason)"}"#)
    }

    // MARK: errors

    func notFound(_ what: Substring) -> SimulatedResponse {
        SimulatedResponse(
            status: 404,
            json: #"{"error":{"message":\#(jsonString("not found: " + what)),"type":"invalid_request_error"}}"#)
    }

    private func badRequest(_ message: String) -> SimulatedResponse {
        SimulatedResponse(
            status: 400, json: #"{"error":{"message":\#(jsonString(message)),"type":"invalid_request_error"}}"#)
    }

    static func rfc3339(_ unixSeconds: Double) -> String {
        UTCTimestamp(unixSeconds: unixSeconds).rfc3339(milliseconds: false)
    }
}
