#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HealthCore

/// OpenRouter: the model list plus `GET {base}/key`, which validates the key and reports remaining credit
/// without spending any. Its list is public, so the key request is what catches a bad key. Completions are
/// OpenAI's, with `max_tokens` for every model (OpenRouter translates it).
struct OpenRouterKind: ProviderKindSpec {
    let kind = ProviderKind.openrouter

    func defaultBaseURL(options: [String: String]) -> String? { "https://openrouter.ai/api/v1" }

    /// OpenRouter asks callers to identify themselves; configured headers override these.
    var defaultHeaders: [(String, String)] {
        [("HTTP-Referer", "https://github.com/provider-health-exporter"), ("X-Title", "provider-health-exporter")]
    }

    func modelListRequest(after cursor: String?, provider: ProviderSettings) -> (path: String, query: [(String, String)]) { ("/models", []) }

    func completionRequest(
        for model: String, maxTokens: Int, tokenLimitField: TokenLimitField, provider: ProviderSettings
    ) -> KindRequest? {
        KindRequest(
            url: endpointURL(provider.baseURL, "/chat/completions"),
            payload: chatCompletionPayload(model: model, maxTokens: maxTokens, tokenLimitField: .maxTokens))
    }

    func probe(_ context: ProbeContext) async throws -> ProbeOutcome {
        let sendsKey = context.headers.contains { $0.0.lowercased() == "authorization" }
        async let listing = ModelListing.fetch(context)
        async let keyRequest: HTTPProbeResult? = sendsKey ? context.send(context.url("/key")) : nil
        var (list, key) = try await (listing, keyRequest)
        if list.check.success, let key {
            let keyCheck = Self.keyCheck(key, context: context)
            if !keyCheck.success { list.check = keyCheck }
        }
        return try await finishListProbe(
            context, listCheck: list.check, catalog: list.catalog,
            rateLimit: list.rateLimit ?? context.rateLimit(from: key))
    }

    /// The key request's verdict: its HTTP status, then whether credit is left.
    static func keyCheck(_ result: HTTPProbeResult, context: ProbeContext) -> ProbeCheck {
        let check = context.check(result)
        guard check.success, let response = result.response else { return check }
        guard let data = ModelListParsing.object(response.body)?["data"] as? [String: Any] else {
            return check.unusable("key info is not valid JSON")
        }
        if outOfCredit(data) {
            return .failed(.rateLimited, statusCode: 402, latencySeconds: check.latencySeconds, error: "out of credit")
        }
        return check
    }

    /// A key with a credit limit (non-null) and nothing left of it.
    static func outOfCredit(_ data: [String: Any]) -> Bool {
        guard let limit = data["limit"], !(limit is JSONText.Null),
            let remaining = data["limit_remaining"] as? Double
        else { return false }
        return remaining <= 0
    }
}

extension ProviderKind {
    public static let openrouter = ProviderKind(rawValue: "openrouter")
}
