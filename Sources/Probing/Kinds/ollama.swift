import HealthCore

/// Ollama: `GET {base}/api/tags`, no key (a Bearer key is sent if one is configured, for proxies);
/// `POST {base}/api/generate`, whose answer holds `response`. A configured model without a tag (`llama3`)
/// matches the `:latest` one.
struct OllamaKind: ProviderKindSpec {
    let kind = ProviderKind.ollama

    func defaultBaseURL(options: [String: String]) -> String? { "http://127.0.0.1:11434" }

    func modelListRequest(after cursor: String?, provider: ProviderSettings) -> (path: String, query: [(String, String)]) { ("/api/tags", []) }

    /// `{"models":[{"name":"llama3:latest","model":"llama3:latest"}]}`.
    func modelListPage(_ body: [UInt8]) -> ModelListPage? {
        guard let models = ModelListParsing.object(body)?["models"] as? [Any] else { return nil }
        let names = models.flatMap { entry -> [String] in
            guard let entry = entry as? [String: Any] else { return [] }
            return [entry["name"] as? String, entry["model"] as? String].compactMap { $0 }
        }
        return ModelListPage(ids: names)
    }

    func listedNames(for configured: String) -> [String] {
        configured.contains(":") ? [configured] : [configured, configured + ":latest"]
    }

    var completionAnswerField: String? { "response" }

    func completionRequest(
        for model: String, maxTokens: Int, tokenLimitField: TokenLimitField, provider: ProviderSettings
    ) -> KindRequest? {
        KindRequest(
            url: endpointURL(provider.baseURL, "/api/generate"),
            payload: ["model": model, "prompt": completionPrompt, "stream": false, "options": ["num_predict": maxTokens]])
    }
}

extension ProviderKind {
    public static let ollama = ProviderKind(rawValue: "ollama")
}
