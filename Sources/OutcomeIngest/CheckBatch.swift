import HealthCore

/// Checks a decoded batch against what the store knows: known providers and the distinct-models cap per provider.
///
/// `knownProviders` are the configured providers; `modelsPerProvider` the models each already has. With
/// `limits.acceptUnknownProviders` any provider passes, but the models cap still holds. Runs of the
/// same provider and model (the usual shape of a batch) are looked up once.
public func checkBatch(
    _ results: [ModelResult], knownProviders: Set<String>, modelsPerProvider: [String: Set<String>],
    limits: IngestLimits
) throws(IngestRejection) {
    var newModels: [String: Set<String>] = [:]
    var previous: (provider: String, model: String)?
    for result in results {
        if let previous, previous.provider == result.provider, previous.model == result.model { continue }
        previous = (result.provider, result.model)

        if !limits.acceptUnknownProviders && !knownProviders.contains(result.provider) {
            throw .unknownProvider(result.provider)
        }
        let existing = modelsPerProvider[result.provider]
        if existing?.contains(result.model) == true { continue }
        let inserted = newModels[result.provider, default: []].insert(result.model).inserted
        guard inserted else { continue }
        let count = (existing?.count ?? 0) + (newModels[result.provider]?.count ?? 0)
        if count > limits.maxModelsPerProvider {
            throw .tooManyModels(provider: result.provider, count: count, limit: limits.maxModelsPerProvider)
        }
    }
}
