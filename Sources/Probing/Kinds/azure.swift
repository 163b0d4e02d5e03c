#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HealthCore

/// Azure OpenAI: the resource's endpoint (`https://{resource}.openai.azure.com`), an `api-key` header or an Entra
/// ID bearer token read from a file (kept fresh by whatever issues it), and `api-version` on every request.
/// The check is `GET {endpoint}/openai/models`; the configured models are deployments, whose names are yours,
/// so only the completion probe (`POST {endpoint}/openai/deployments/{name}/chat/completions`) can tell that one
/// is missing (404 `DeploymentNotFound`).
struct AzureKind: ProviderKindSpec {
    let kind = ProviderKind.azure

    /// The latest generally available data-plane API version.
    static let defaultAPIVersion = "2024-10-21"

    var settings: [KindSetting] {
        [
            KindSetting(key: "api_version", defaultValue: Self.defaultAPIVersion, problem: Self.apiVersionProblem),
            KindSetting(key: "bearer_token_file", replacesAPIKey: true, mayHoldSecret: true),
        ]
    }

    /// Every resource has its own name: nothing to default to.
    func defaultBaseURL(options: [String: String]) -> String? { nil }

    func credentials(
        for provider: ProviderSettings, apiKey: Secret?, environment: [String: String]
    ) throws(CredentialError) -> ProbeCredentials {
        if let path = provider.kindOptions["bearer_token_file"] {
            // Read on every probe: Entra tokens live about an hour and are renewed in place.
            let token = try readCredentialFile(path, setting: "bearer_token_file")
            return ProbeCredentials(headers: [("Authorization", "Bearer " + token)], secrets: [token])
        }
        guard let key = apiKey?.value, !key.isEmpty else { return ProbeCredentials() }
        return ProbeCredentials(headers: [("api-key", key)], secrets: [key])
    }

    func modelListRequest(after cursor: String?, provider: ProviderSettings) -> (path: String, query: [(String, String)]) {
        ("/openai/models", [("api-version", apiVersion(provider))])
    }

    var listNamesConfiguredModels: Bool { false }

    /// Deployments of reasoning models refuse `max_tokens` as OpenAI's do, and names do not tell which they are.
    var learnsTokenLimitField: Bool { true }

    func completionRequest(
        for model: String, maxTokens: Int, tokenLimitField: TokenLimitField, provider: ProviderSettings
    ) -> KindRequest? {
        let path = "/openai/deployments/\(percentEncoded(model))/chat/completions"
        return KindRequest(
            url: endpointURL(provider.baseURL, path, query: [("api-version", apiVersion(provider))]),
            payload: chatCompletionPayload(model: nil, maxTokens: maxTokens, tokenLimitField: tokenLimitField))
    }

    /// A deployment that does not exist is a missing model, not a client error of the probe.
    func failureReason(for response: HTTPProbeResponse) -> FailureReason? {
        guard response.statusCode == 404,
            let error = ModelListParsing.object(response.body)?["error"] as? [String: Any],
            error["code"] as? String == "DeploymentNotFound"
        else { return nil }
        return .modelMissing
    }

    private func apiVersion(_ provider: ProviderSettings) -> String {
        provider.kindOptions["api_version"] ?? Self.defaultAPIVersion
    }

    /// `2024-10-21` or `2025-04-01-preview`.
    static func apiVersionProblem(_ value: String) -> String? {
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        let isDate =
            parts.count >= 3
            && zip(parts, [4, 2, 2]).allSatisfy { part, length in
                part.count == length && part.allSatisfy { $0.isASCII && $0.isNumber }
            }
        guard isDate, parts.count == 3 || (parts.count == 4 && parts[3] == "preview") else {
            return "expected an Azure OpenAI API version such as \(defaultAPIVersion) or 2025-04-01-preview"
        }
        return nil
    }
}

extension ProviderKind {
    public static let azure = ProviderKind(rawValue: "azure")
}
