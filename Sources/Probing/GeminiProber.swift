import HealthCore

/// Gemini: `GET {base}/v1beta/models?pageSize=1000` with the key in `x-goog-api-key`. Never in the URL:
/// URLs end up in logs and proxies.
public struct GeminiProber: Prober {
    let client: HTTPProbeClient

    public init(client: HTTPProbeClient) { self.client = client }

    static let maxPages = 10

    public func probe(_ provider: ProviderSettings, apiKey: Secret?) async throws -> ProbeOutcome {
        var auth: [(String, String)] = []
        if let key = apiKey?.value, !key.isEmpty { auth.append(("x-goog-api-key", key)) }
        let context = ProbeContext(provider: provider, apiKey: apiKey, client: client, authHeaders: auth)

        var names: [String] = []
        var token: String?
        var pages = 0
        var firstCheck: ProbeCheck?
        var rateLimit: RateLimitSnapshot?
        repeat {
            var query = [("pageSize", "1000")]
            if let token { query.append(("pageToken", token)) }
            let result = try await context.send(context.url("/v1beta/models", query: query))
            pages += 1
            let check = Self.check(result, context: context)
            if firstCheck == nil {
                firstCheck = check
                rateLimit = context.rateLimit(from: result)
            }
            guard check.success, let page = result.response.flatMap({ ModelListParsing.geminiPage($0.body) }) else {
                return try await finishListProbe(context, listCheck: check, catalog: nil, rateLimit: rateLimit)
            }
            names += page.names
            token = page.next
        } while token != nil && pages < Self.maxPages
        return try await finishListProbe(
            context, listCheck: firstCheck!, catalog: ModelCatalog(kind: .gemini, ids: names), rateLimit: rateLimit)
    }

    /// Gemini answers a bad key with 400 `API_KEY_INVALID` rather than 401; that is an auth failure.
    static func check(_ result: HTTPProbeResult, context: ProbeContext) -> ProbeCheck {
        var check = context.check(result)
        if check.statusCode == 400, let body = result.response?.body,
            String(decoding: body.prefix(1 << 16), as: UTF8.self).contains("API_KEY_INVALID")
        {
            check.reason = .auth
        }
        return check
    }
}
