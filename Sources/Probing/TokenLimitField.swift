#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The request field an OpenAI-compatible chat completion carries its token budget in.
///
/// OpenAI's reasoning models (o1, o3, o4-mini, gpt-5, …) refuse `max_tokens` and want
/// `max_completion_tokens`; many OpenAI-compatible servers (and older Azure API versions) know only
/// `max_tokens` and refuse the other. Neither field works everywhere.
enum TokenLimitField: String, Sendable {
    case maxTokens = "max_tokens"
    case maxCompletionTokens = "max_completion_tokens"

    var other: TokenLimitField { self == .maxTokens ? .maxCompletionTokens : .maxTokens }

    /// The field to try first for a model nothing has been learned about: `max_completion_tokens` for OpenAI's
    /// reasoning families, `max_tokens` for everything else (what most OpenAI-compatible servers know).
    static func predicted(for model: String) -> TokenLimitField {
        isOpenAIReasoningModel(model) ? .maxCompletionTokens : .maxTokens
    }

    /// `o<digit>…` or `gpt-5…`, after an optional `openai/` (gateways) and `ft:` (fine-tunes) prefix.
    static func isOpenAIReasoningModel(_ model: String) -> Bool {
        var id = Substring(model.lowercased())
        for prefix in ["openai/", "ft:"] where id.hasPrefix(prefix) { id = id.dropFirst(prefix.count) }
        if id.hasPrefix("gpt-5") { return true }
        guard id.first == "o", let second = id.dropFirst().first else { return false }
        return second.isASCII && second.isNumber
    }

    /// Words with which servers say they do not take a request field (as opposed to disliking its value).
    private static let refusalWords = [
        "unsupported", "not supported", "unrecognized", "unrecognised", "unknown", "not permitted", "not allowed",
        "extra_forbidden",
    ]

    /// Whether `response` is a 400 refusing this field by name, e.g. OpenAI's
    /// `{"error": {"message": "Unsupported parameter: 'max_tokens' is not supported with this model. …",
    /// "param": "max_tokens", "code": "unsupported_parameter"}}`, or an older server's
    /// "Unrecognized request argument supplied: max_completion_tokens". A 400 about the field's value
    /// ("Invalid 'max_tokens': integer below minimum value") or about anything else is not a refusal.
    func isRefused(by response: HTTPProbeResponse) -> Bool {
        // Error bodies are small; a big one is something else and not worth reading.
        guard response.statusCode == 400, response.body.count <= 64 << 10 else { return false }
        let root = ModelListParsing.object(response.body)
        let error = (root?["error"] as? [String: Any]) ?? root
        if let param = error?["param"] as? String {
            // A server that names the offending parameter (and says what is wrong with it) has answered
            // the question: OpenAI's `unsupported_value` or `integer_below_min_value` are about the value.
            guard param == rawValue else { return false }
            if let code = error?["code"] as? String {
                return ["unsupported_parameter", "unknown_parameter"].contains(code)
            }
        }
        // Servers without `param` say it in their own words, some in a message that is not a string
        // (pydantic's `extra_forbidden` details): the whole body is read.
        let text = String(decoding: response.body, as: UTF8.self).lowercased()
        return text.contains(rawValue) && Self.refusalWords.contains { text.contains($0) }
    }
}
