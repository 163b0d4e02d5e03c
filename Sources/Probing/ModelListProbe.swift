import HealthCore

/// The common second half of list-based probes: match the configured models against the list, then
/// (opt-in) run the completion probes of the listed ones, all at once.
func finishListProbe(
    _ context: ProbeContext, listCheck: ProbeCheck, catalog: ModelCatalog?, rateLimit: RateLimitSnapshot?
) async throws -> ProbeOutcome {
    var providerCheck = listCheck
    if listCheck.success, catalog == nil { providerCheck = listCheck.unusable("model list is not valid JSON") }
    guard providerCheck.success, let catalog else {
        return context.outcome(providerCheck: providerCheck, rateLimit: rateLimit)
    }
    var checks: [String: ProbeCheck] = [:]
    var listed: [ModelSettings] = []
    for model in context.provider.models {
        if catalog.contains(model.name) {
            checks[model.name] = listCheck
            listed.append(model)
        } else {
            checks[model.name] = .failed(
                .modelMissing, statusCode: listCheck.statusCode, latencySeconds: listCheck.latencySeconds,
                error: "model not in the provider's model list")
        }
    }
    if context.provider.completionProbe, !listed.isEmpty {
        for (model, check) in try await CompletionProbe.run(listed, context: context) {
            var completion = check
            completion.operation = .chat
            checks[model] = completion
        }
    }
    return context.outcome(providerCheck: providerCheck, modelChecks: checks, rateLimit: rateLimit)
}
