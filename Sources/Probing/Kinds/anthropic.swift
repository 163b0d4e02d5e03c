import HealthCore

/// Anthropic: `GET {base}/v1/models?limit=1000` with `x-api-key` and `anthropic-version`, following pages;
/// `POST {base}/v1/messages`, whose answer holds `content`.
struct AnthropicKind: ProviderKindSpec {
    let kind = ProviderKind.anthropic

    func defaultBaseURL(options: [String: String]) -> String? { "https://api.anthropic.com" }

    func credentials(
        for provider: ProviderSettings, apiKey: Secret?, environment: [String: String]
    ) throws(CredentialError) -> ProbeCredentials {
        var credentials = ProbeCredentials(headers: [("anthropic-version", "2023-06-01")])
        if let key = apiKey?.value, !key.isEmpty {
            credentials.headers.append(("x-api-key", key))
            credentials.secrets = [key]
        }
        return credentials
    }

    func modelListRequest(after cursor: String?, provider: ProviderSettings) -> (path: String, query: [(String, String)]) {
        ("/v1/models", [("limit", "1000")] + (cursor.map { [("after_id", $0)] } ?? []))
    }

    /// `{"data":[…], "has_more": true, "last_id": "…"}`.
    func modelListPage(_ body: [UInt8]) -> ModelListPage? {
        guard let root = ModelListParsing.object(body), let ids = ModelListParsing.dataIDs(body) else { return nil }
        let more = root["has_more"] as? Bool ?? false
        return ModelListPage(ids: ids, next: more ? root["last_id"] as? String : nil)
    }

    var completionAnswerField: String? { "content" }

    func completionRequest(
        for model: String, maxTokens: Int, tokenLimitField: TokenLimitField, provider: ProviderSettings
    ) -> KindRequest? {
        KindRequest(
            url: endpointURL(provider.baseURL, "/v1/messages"),
            payload: chatCompletionPayload(model: model, maxTokens: maxTokens, tokenLimitField: .maxTokens))
    }

    var rateLimitFamilies: [RateLimitFamily] { [.anthropic] }
}

extension ProviderKind {
    public static let anthropic = ProviderKind(rawValue: "anthropic")
}
