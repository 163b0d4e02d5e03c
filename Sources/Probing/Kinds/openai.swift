import HealthCore

/// OpenAI and every OpenAI-compatible API (Groq, Together, Mistral, DeepSeek, Nvidia NIM, DashScope compatible
/// mode, …): `GET {base}/models` with a Bearer key, `POST {base}/chat/completions`. Servers disagree on the
/// completion's token-limit field, so it is learned per model.
struct OpenAIKind: ProviderKindSpec {
    let kind = ProviderKind.openai

    func defaultBaseURL(options: [String: String]) -> String? { "https://api.openai.com/v1" }

    func modelListRequest(after cursor: String?, provider: ProviderSettings) -> (path: String, query: [(String, String)]) { ("/models", []) }

    var learnsTokenLimitField: Bool { true }

    func completionRequest(
        for model: String, maxTokens: Int, tokenLimitField: TokenLimitField, provider: ProviderSettings
    ) -> KindRequest? {
        KindRequest(
            url: endpointURL(provider.baseURL, "/chat/completions"),
            payload: chatCompletionPayload(model: model, maxTokens: maxTokens, tokenLimitField: tokenLimitField))
    }

    /// Together also reports its token budget as `x-tokenlimit-*`.
    var rateLimitFamilies: [RateLimitFamily] { [.xRateLimit, .xTokenLimit] }
}

extension ProviderKind {
    public static let openai = ProviderKind(rawValue: "openai")
}
