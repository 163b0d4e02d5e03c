#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HealthCore
import Probing

/// Error answers in the shape each provider kind uses.
struct SimulatedErrors: Sendable {
    let kind: ProviderKind

    /// 401; like OpenAI, the message repeats the key it was given.
    func unauthorized(presentedKey: String?) -> SimulatedResponse {
        let key = presentedKey ?? ""
        switch kind {
        case .anthropic:
            return SimulatedResponse(
                status: 401,
                json: #"{"type":"error","error":{"type":"authentication_error","message":\#(jsonString("invalid x-api-key: " + key))}}"#
            )
        case .gemini:
            return SimulatedResponse(
                status: 400,
                json: #"{"error":{"code":400,"message":\#(jsonString("API key not valid: " + key)),"status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}}"#
            )
        case .huggingface:
            return SimulatedResponse(status: 401, json: #"{"error":\#(jsonString("Invalid credentials in Authorization header: " + key))}"#)
        default:
            return SimulatedResponse(
                status: 401,
                json: #"{"error":{"message":\#(jsonString("Incorrect API key provided: " + key + ".")),"type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#
            )
        }
    }

    /// 429 with the kind's rate-limit headers showing little left, and `retry-after: 1`.
    func rateLimited() -> SimulatedResponse {
        switch kind {
        case .anthropic:
            let reset = SimulatedEndpoints.rfc3339(Date().timeIntervalSince1970 + 30)
            return SimulatedResponse(
                status: 429,
                headers: [
                    ("retry-after", "1"),
                    ("anthropic-ratelimit-requests-limit", "50"), ("anthropic-ratelimit-requests-remaining", "0"),
                    ("anthropic-ratelimit-requests-reset", reset),
                    ("anthropic-ratelimit-tokens-limit", "40000"), ("anthropic-ratelimit-tokens-remaining", "1000"),
                    ("anthropic-ratelimit-tokens-reset", reset),
                ],
                json: #"{"type":"error","error":{"type":"rate_limit_error","message":"Number of requests has exceeded your rate limit"}}"#
            )
        case .gemini:
            return SimulatedResponse(
                status: 429, headers: [("retry-after", "1")],
                json: #"{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1s"}]}}"#
            )
        default:
            return SimulatedResponse(
                status: 429,
                headers: [
                    ("retry-after", "1"),
                    ("x-ratelimit-limit-requests", "100"), ("x-ratelimit-remaining-requests", "2"),
                    ("x-ratelimit-reset-requests", "1s"),
                    ("x-ratelimit-limit-tokens", "100000"), ("x-ratelimit-remaining-tokens", "1500"),
                    ("x-ratelimit-reset-tokens", "6m0s"),
                ],
                json: #"{"error":{"message":"Rate limit reached for requests","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#
            )
        }
    }

    func unavailable() -> SimulatedResponse {
        SimulatedResponse(
            status: 503,
            json: #"{"error":{"message":"The server is overloaded or not ready yet.","type":"server_error"}}"#)
    }
}
