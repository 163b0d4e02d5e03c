import HealthCore

/// Checks a decoded batch against what the store knows: known providers and the distinct-models cap per provider.
///
/// `knownProviders` are the configured providers; `modelsPerProvider` the models each already has. With
/// `limits.acceptUnknownProviders` any provider passes, but the models cap still holds.
public func checkBatch(
    _ results: [ModelResult], knownProviders: Set<String>, modelsPerProvider: [String: Set<String>],
    limits: IngestLimits
) throws(IngestRejection) {
    var newModels: [String: Set<String>] = [:]
    var recentlyChecked = RecentPairs()
    for result in results {
        // A batch repeats a few pairs; the decoder shares their Strings, so this test is cheap.
        if recentlyChecked.contains(result.provider, result.model) { continue }
        recentlyChecked.insert(result.provider, result.model)

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

/// The last few (provider, model) pairs checked, replaced round-robin.
private struct RecentPairs {
    private static let capacity = 16
    private var pairs: [(provider: String, model: String)] = []
    private var nextSlot = 0

    func contains(_ provider: String, _ model: String) -> Bool {
        pairs.contains { $0.model == model && $0.provider == provider }
    }

    mutating func insert(_ provider: String, _ model: String) {
        if pairs.count < Self.capacity {
            pairs.append((provider, model))
        } else {
            pairs[nextSlot] = (provider, model)
            nextSlot = (nextSlot + 1) % Self.capacity
        }
    }
}
