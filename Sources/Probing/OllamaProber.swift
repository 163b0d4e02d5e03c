import HealthCore

/// Ollama: `GET {base}/api/tags`, no key (a Bearer key is sent if one is configured, for proxies).
/// A configured model without a tag (`llama3`) matches the `:latest` one.
public struct OllamaProber: Prober {
    let client: HTTPProbeClient

    public init(client: HTTPProbeClient) { self.client = client }

    public func probe(_ provider: ProviderSettings, apiKey: Secret?) async throws -> ProbeOutcome {
        let context = ProbeContext(
            provider: provider, apiKey: apiKey, client: client, authHeaders: bearerHeaders(apiKey))
        let tags = try await context.send(context.url("/api/tags"))
        let catalog = tags.response.flatMap { ModelListParsing.ollamaNames($0.body) }
            .map { ModelCatalog(kind: .ollama, ids: $0) }
        return try await finishListProbe(
            context, listCheck: context.check(tags), catalog: catalog, rateLimit: context.rateLimit(from: tags))
    }
}
