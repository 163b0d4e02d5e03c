import HealthCore

/// Anthropic: `GET {base}/v1/models?limit=1000` with `x-api-key` and `anthropic-version`, following pages.
public struct AnthropicProber: Prober {
    let client: HTTPProbeClient

    public init(client: HTTPProbeClient) { self.client = client }

    /// Every page is a request against the quota; past this many the list is taken as it is.
    static let maxPages = 10

    public func probe(_ provider: ProviderSettings, apiKey: Secret?) async throws -> ProbeOutcome {
        var auth = [("anthropic-version", "2023-06-01")]
        if let key = apiKey?.value, !key.isEmpty { auth.append(("x-api-key", key)) }
        let context = ProbeContext(provider: provider, apiKey: apiKey, client: client, authHeaders: auth)

        let first = try await context.send(context.url("/v1/models", query: [("limit", "1000")]))
        let listCheck = context.check(first)
        let rateLimit = context.rateLimit(from: first)
        guard listCheck.success, let firstPage = first.response.flatMap({ ModelListParsing.anthropicPage($0.body) })
        else {
            return try await finishListProbe(context, listCheck: listCheck, catalog: nil, rateLimit: rateLimit)
        }
        var ids = firstPage.ids
        var after = firstPage.nextAfter
        var pages = 1
        while let cursor = after, pages < Self.maxPages {
            let next = try await context.send(
                context.url("/v1/models", query: [("limit", "1000"), ("after_id", cursor)]))
            pages += 1
            guard context.check(next).success, let page = next.response.flatMap({ ModelListParsing.anthropicPage($0.body) })
            else {
                // A later page failing still leaves the models already seen; the probe reports the failure.
                return try await finishListProbe(
                    context, listCheck: context.check(next), catalog: nil, rateLimit: rateLimit)
            }
            ids += page.ids
            after = page.nextAfter
        }
        return try await finishListProbe(
            context, listCheck: listCheck, catalog: ModelCatalog(kind: .anthropic, ids: ids), rateLimit: rateLimit)
    }
}
