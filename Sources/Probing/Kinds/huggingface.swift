import HealthCore

/// HuggingFace: `GET {base}/api/whoami-v2` validates the token; each model is checked with
/// `GET {base}/api/models/<id>` (404: missing). There is no completion request for this kind.
struct HuggingFaceKind: ProviderKindSpec {
    let kind = ProviderKind.huggingface

    func defaultBaseURL(options: [String: String]) -> String? { "https://huggingface.co" }

    /// The check request is whoami: there is no model list to page through.
    func modelListRequest(after cursor: String?, provider: ProviderSettings) -> (path: String, query: [(String, String)]) {
        ("/api/whoami-v2", [])
    }

    var completionAnswerField: String? { nil }

    func completionRequest(
        for model: String, maxTokens: Int, tokenLimitField: TokenLimitField, provider: ProviderSettings
    ) -> KindRequest? { nil }

    func probe(_ context: ProbeContext) async throws -> ProbeOutcome {
        let provider = context.provider
        var providerCheck: ProbeCheck?
        var rateLimit: RateLimitSnapshot?
        // Without a token whoami can only say 401; public models can still be checked.
        let sendsToken = context.headers.contains { $0.0.lowercased() == "authorization" }
        if sendsToken || provider.models.isEmpty {
            let whoami = try await context.send(context.url(modelListRequest(after: nil, provider: provider).path))
            providerCheck = context.check(whoami)
            rateLimit = context.rateLimit(from: whoami)
            if let failed = providerCheck, !failed.success {
                return context.outcome(providerCheck: failed, rateLimit: rateLimit)
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
            return .failed(.modelMissing, statusCode: 404, latencySeconds: check.latencySeconds, error: "model not found")
        }
        return check
    }
}

extension ProviderKind {
    public static let huggingface = ProviderKind(rawValue: "huggingface")
}
