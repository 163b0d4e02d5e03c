#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HealthCore

/// Gemini: `GET {base}/v1beta/models?pageSize=1000` with the key in `x-goog-api-key` (never in the URL: URLs end
/// up in logs and proxies), following pages; `POST {base}/v1beta/models/{id}:generateContent`, whose answer holds
/// `candidates`. Model names are listed as `models/…`; the prefix is optional in the configuration.
struct GeminiKind: ProviderKindSpec {
    let kind = ProviderKind.gemini

    func defaultBaseURL(options: [String: String]) -> String? { "https://generativelanguage.googleapis.com" }

    func credentials(
        for provider: ProviderSettings, apiKey: Secret?, environment: [String: String]
    ) throws(CredentialError) -> ProbeCredentials {
        guard let key = apiKey?.value, !key.isEmpty else { return ProbeCredentials() }
        return ProbeCredentials(headers: [("x-goog-api-key", key)], secrets: [key])
    }

    func modelListRequest(after cursor: String?, provider: ProviderSettings) -> (path: String, query: [(String, String)]) {
        ("/v1beta/models", [("pageSize", "1000")] + (cursor.map { [("pageToken", $0)] } ?? []))
    }

    /// `{"models":[{"name":"models/…"}], "nextPageToken": …}`; an empty account answers `{}`.
    func modelListPage(_ body: [UInt8]) -> ModelListPage? {
        guard let root = ModelListParsing.object(body) else { return nil }
        if root["models"] != nil, root["models"] as? [Any] == nil { return nil }
        let models = root["models"] as? [Any] ?? []
        let names = models.compactMap { ($0 as? [String: Any])?["name"] as? String }
        let next = (root["nextPageToken"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        return ModelListPage(ids: names, next: next)
    }

    func normalizedModelName(_ name: String) -> String {
        name.hasPrefix("models/") ? String(name.dropFirst("models/".count)) : name
    }

    var completionAnswerField: String? { "candidates" }

    func completionRequest(
        for model: String, maxTokens: Int, tokenLimitField: TokenLimitField, provider: ProviderSettings
    ) -> KindRequest? {
        let id = percentEncoded(normalizedModelName(model))
        return KindRequest(
            url: endpointURL(provider.baseURL, "/v1beta/models/\(id):generateContent"),
            payload: [
                "contents": [["role": "user", "parts": [["text": completionPrompt]]]],
                "generationConfig": ["maxOutputTokens": maxTokens],
            ])
    }

    /// Gemini answers a bad key with 400 `API_KEY_INVALID` rather than 401; that is an auth failure.
    func failureReason(for response: HTTPProbeResponse) -> FailureReason? {
        guard response.statusCode == 400,
            String(decoding: response.body.prefix(1 << 16), as: UTF8.self).contains("API_KEY_INVALID")
        else { return nil }
        return .auth
    }

    /// Gemini sends no rate-limit headers; a 429 body says how long to wait.
    var rateLimitFamilies: [RateLimitFamily] { [.geminiRetryDelay] }
}

extension ProviderKind {
    public static let gemini = ProviderKind(rawValue: "gemini")
}
