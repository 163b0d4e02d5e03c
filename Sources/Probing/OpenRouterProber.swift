import Foundation
import HealthCore

/// OpenRouter: the model list plus `GET {base}/key`, which validates the key and reports remaining credit
/// without spending any. Its list is public, so the key request is what catches a bad key.
public struct OpenRouterProber: Prober {
    let client: HTTPProbeClient

    public init(client: HTTPProbeClient) { self.client = client }

    /// OpenRouter asks callers to identify themselves; configured headers override these.
    static let defaultHeaders = [
        ("HTTP-Referer", "https://github.com/provider-health-exporter"),
        ("X-Title", "provider-health-exporter"),
    ]

    public func probe(_ provider: ProviderSettings, apiKey: Secret?) async throws -> ProbeOutcome {
        let context = ProbeContext(
            provider: provider, apiKey: apiKey, client: client, defaultHeaders: Self.defaultHeaders,
            authHeaders: bearerHeaders(apiKey))
        async let listRequest = context.send(context.url("/models"))
        async let keyRequest: HTTPProbeResult? = apiKey == nil ? nil : context.send(context.url("/key"))
        let (list, key) = try await (listRequest, keyRequest)

        var listCheck = context.check(list)
        if listCheck.success, let key {
            let keyCheck = Self.keyCheck(key, context: context)
            if !keyCheck.success { listCheck = keyCheck }
        }
        let catalog = list.response.flatMap { ModelListParsing.dataIDs($0.body) }
            .map { ModelCatalog(kind: .openrouter, ids: $0) }
        let rateLimit = context.rateLimit(from: list) ?? context.rateLimit(from: key)
        return try await finishListProbe(context, listCheck: listCheck, catalog: catalog, rateLimit: rateLimit)
    }

    /// The key request's verdict: its HTTP status, then whether credit is left.
    static func keyCheck(_ result: HTTPProbeResult, context: ProbeContext) -> ProbeCheck {
        let check = context.check(result)
        guard check.success, let response = result.response else { return check }
        guard let data = ModelListParsing.object(response.body)?["data"] as? [String: Any] else {
            return check.unusable("key info is not valid JSON")
        }
        if outOfCredit(data) {
            return .failed(
                .rateLimited, statusCode: 402, latencySeconds: check.latencySeconds, error: "out of credit")
        }
        return check
    }

    /// A key with a credit limit (non-null) and nothing left of it.
    static func outOfCredit(_ data: [String: Any]) -> Bool {
        guard let limit = data["limit"], !(limit is NSNull),
            let remaining = (data["limit_remaining"] as? NSNumber)?.doubleValue
        else { return false }
        return remaining <= 0
    }
}
