import HealthCore

/// The model list of a provider, following its pages.
struct ModelListing {
    /// The verdict of the list: the first page's, or the first failed page's.
    var check: ProbeCheck
    /// nil when the list could not be read (a failed page, a body not of the kind's shape).
    var catalog: ModelCatalog?
    /// What the first page's headers said.
    var rateLimit: RateLimitSnapshot?

    /// Every page is a request against the quota; past this many the list is taken as it is.
    static let maxPages = 10

    static func fetch(_ context: ProbeContext) async throws -> ModelListing {
        let spec = context.spec
        var ids: [String] = []
        var cursor: String?
        var pages = 0
        var listing: ModelListing?
        repeat {
            let request = spec.modelListRequest(after: cursor, provider: context.provider)
            let result = try await context.send(context.url(request.path, query: request.query))
            pages += 1
            let check = context.check(result)
            if listing == nil { listing = ModelListing(check: check, rateLimit: context.rateLimit(from: result)) }
            // A later page failing still leaves the models already seen; the probe reports the failure.
            guard check.success, let page = result.response.flatMap({ spec.modelListPage($0.body) }) else {
                listing?.check = check
                return listing!
            }
            ids += page.ids
            cursor = page.next
        } while cursor != nil && pages < maxPages
        listing!.catalog = ModelCatalog(spec: spec, ids: ids)
        return listing!
    }
}

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
        if !context.spec.listNamesConfiguredModels || catalog.contains(model.name) {
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
