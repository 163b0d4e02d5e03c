import HealthCore

/// HuggingFace: `GET {base}/api/whoami-v2` validates the token; each model is checked with
/// `GET {base}/api/models/<id>` (404: missing). There is no completion probe for this kind.
public struct HuggingFaceProber: Prober {
    let client: HTTPProbeClient

    public init(client: HTTPProbeClient) { self.client = client }

    public func probe(_ provider: ProviderSettings, apiKey: Secret?) async throws -> ProbeOutcome {
        let context = ProbeContext(
            provider: provider, apiKey: apiKey, client: client, authHeaders: bearerHeaders(apiKey))
        var providerCheck: ProbeCheck?
        var rateLimit: RateLimitSnapshot?
        // Without a token whoami can only say 401; public models can still be checked.
        if apiKey != nil || provider.models.isEmpty {
            let whoami = try await context.send(context.url("/api/whoami-v2"))
            providerCheck = context.check(whoami)
            rateLimit = context.rateLimit(from: whoami)
            if providerCheck?.success == false {
                return context.outcome(providerCheck: providerCheck!, rateLimit: rateLimit)
            }
        }
        let checks = try await withThrowingTaskGroup(of: (String, ProbeCheck).self) { group in
            for model in provider.models {
                group.addTask {
                    let url = context.url("/api/models/" + percentEncoded(model.name, keepSlash: true))
                    return (model.name, Self.modelCheck(try await context.send(url), context: context))
                }
            }
            var checks: [String: ProbeCheck] = [:]
            for try await (model, check) in group { checks[model] = check }
            return checks
        }
        // Without whoami, the provider is fine when any model was found; otherwise the first model's failure
        // (all 401, say) is the provider's.
        let modelResults = provider.models.compactMap { checks[$0.name] }
        let found = modelResults.first { $0.success || $0.reason == .modelMissing }.map {
            ProbeCheck.passed(statusCode: $0.statusCode, latencySeconds: $0.latencySeconds)
        }
        let check = providerCheck ?? found ?? modelResults[0]
        return context.outcome(providerCheck: check, modelChecks: checks, rateLimit: rateLimit)
    }

    static func modelCheck(_ result: HTTPProbeResult, context: ProbeContext) -> ProbeCheck {
        let check = context.check(result)
        if check.statusCode == 404 {
            return .failed(
                .modelMissing, statusCode: 404, latencySeconds: check.latencySeconds, error: "model not found")
        }
        return check
    }
}
