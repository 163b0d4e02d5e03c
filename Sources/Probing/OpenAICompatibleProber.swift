import HealthCore

/// OpenAI and every OpenAI-compatible API (Groq, Together, Mistral, DeepSeek, Nvidia NIM, DashScope
/// compatible mode, …): `GET {base}/models` with a Bearer key.
public struct OpenAICompatibleProber: Prober {
    let client: HTTPProbeClient

    public init(client: HTTPProbeClient) { self.client = client }

    public func probe(_ provider: ProviderSettings, apiKey: Secret?) async throws -> ProbeOutcome {
        let context = ProbeContext(
            provider: provider, apiKey: apiKey, client: client, authHeaders: bearerHeaders(apiKey))
        let list = try await context.send(context.url("/models"))
        let catalog = list.response.flatMap { ModelListParsing.dataIDs($0.body) }
            .map { ModelCatalog(kind: provider.kind, ids: $0) }
        return try await finishListProbe(
            context, listCheck: context.check(list), catalog: catalog, rateLimit: context.rateLimit(from: list))
    }
}

/// `Authorization: Bearer <key>`, or nothing without a key.
func bearerHeaders(_ apiKey: Secret?) -> [(String, String)] {
    guard let key = apiKey?.value, !key.isEmpty else { return [] }
    return [("Authorization", "Bearer " + key)]
}
