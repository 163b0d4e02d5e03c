/// One model's values over the window.
public struct ModelRollup: Sendable, Equatable, Codable {
    public var name: String
    /// It answers: see `ModelAvailability`.
    public var available: Bool
    public var errorRate: Double
    public var results: Int
    public var p50LatencySeconds: Double?
    public var p95LatencySeconds: Double?
    public var lastResultTimestamp: Double?
    public var lastFailure: FailureReason?
}

/// One provider's values over the window: everything /metrics and the API show.
public struct ProviderRollup: Sendable, Equatable {
    public var provider: String
    public var available: Bool
    public var modelsAvailable: Int
    public var modelsTotal: Int
    public var errorRate: Double
    public var results: Int
    public var failures: Int
    /// Quantiles over every result in the window (as the histogram sees them).
    public var p50LatencySeconds: Double?
    public var p95LatencySeconds: Double?
    public var p99LatencySeconds: Double?
    public var latencyScore: Double
    public var healthScore: Double
    public var status: ProviderStatus
    public var breakerState: CircuitBreaker.State
    public var consecutiveFailures: Int
    public var rateLimit: RateLimitSnapshot?
    public var latestFailure: FailureReason?
    public var models: [ModelRollup]
}

/// Failures that say the provider is there and the request may work when tried again: a server error
/// or a rate limit. A few in a row do not make a model unavailable; anything else does at once.
public func isRetryableFailure(_ reason: FailureReason?) -> Bool {
    reason == .http5xx || reason == .rateLimited
}

/// Whether a model counts as available, from its results oldest first: its latest result succeeded, or
/// every result since its last success was a retryable failure (5xx, 429/402) and there are fewer of them
/// than `failureThreshold` — the number of consecutive failures that opens the circuit breaker.
///
/// One 500 among successes is an error (it raises the error rate: degraded), not an outage: a model that
/// flipped to unavailable on every stray 5xx would make a flaky provider `down` after each one. A refused
/// connection, a timeout, DNS, TLS, an unusable answer, a missing model or a rejected key make it
/// unavailable right away; so do retryable failures once they are as many in a row as open the breaker, or
/// when no success precedes them in the window.
public struct ModelAvailability: Sendable, Equatable {
    /// Retryable failures since the last success; nil before a success, or after any other failure.
    private var streak: Int?

    public init() {}

    public mutating func observe(success: Bool, reason: FailureReason?) {
        if success {
            streak = 0
        } else if isRetryableFailure(reason) {
            streak = streak.map { $0 + 1 }
        } else {
            streak = nil
        }
    }

    public func available(failureThreshold: Int) -> Bool {
        guard let streak else { return false }
        return streak < max(1, failureThreshold)
    }
}

/// Nearest-rank quantile of an ascending array.
public func quantile(_ q: Double, ofSorted values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    let rank = Int((q * Double(values.count)).rounded(.up)) - 1
    return values[min(values.count - 1, max(0, rank))]
}

/// Rolls a provider's window up into its rollup. Pure: the caller expires the window first.
///
/// - configuredModels: the models the provider is configured with (`*` for the whole API); models seen
///   only in traffic are reported too, after the configured ones.
/// - rateLimit: the last rate-limit snapshot, if it is recent enough to count.
public func rollUp(
    provider: String, window: ResultWindow, configuredModels: [String], breaker: CircuitBreaker, now: Double,
    rateLimit: RateLimitSnapshot?, score: ScoreSettings, thresholds: StatusThresholds
) -> ProviderRollup {
    struct Tally {
        var results = 0
        var failures = 0
        var latestTimestamp = -Double.infinity
        var latestFailure: FailureReason?
        var availability = ModelAvailability()
        var latencies: [Double] = []
    }
    var perModel = [Tally](repeating: Tally(), count: window.models.count)
    var all: [Double] = []
    all.reserveCapacity(window.count)
    var successLatencies: [Double] = []
    var failures = 0
    var latestFailure: FailureReason?
    var latestTimestamp = -Double.infinity

    for entry in window.entries {
        let m = Int(entry.modelIndex)
        perModel[m].results += 1
        perModel[m].latencies.append(entry.latencySeconds)
        if entry.timestamp >= perModel[m].latestTimestamp {
            perModel[m].latestTimestamp = entry.timestamp
            perModel[m].latestFailure = entry.reason
        }
        // The window keeps its entries in time order, so this sees each model's results oldest first.
        perModel[m].availability.observe(success: entry.success, reason: entry.reason)
        if !entry.success {
            perModel[m].failures += 1
            failures += 1
        } else {
            successLatencies.append(entry.latencySeconds)
        }
        if entry.timestamp >= latestTimestamp {
            latestTimestamp = entry.timestamp
            latestFailure = entry.reason
        }
        all.append(entry.latencySeconds)
    }

    // Configured models first, in configuration order; then models only traffic has reported.
    var order: [String] = configuredModels
    let configured = Set(configuredModels)
    order += window.models.filter { !configured.contains($0) }

    var models: [ModelRollup] = []
    models.reserveCapacity(order.count)
    for name in order {
        guard let index = window.existingIndex(ofModel: name) else {
            models.append(ModelRollup(name: name, available: false, errorRate: 0, results: 0))
            continue
        }
        var tally = perModel[Int(index)]
        let modelQuantiles = quantiles([0.5, 0.95], reordering: &tally.latencies)
        models.append(
            ModelRollup(
                name: name,
                available: tally.results > 0
                    && tally.availability.available(failureThreshold: breaker.settings.failureThreshold),
                errorRate: tally.results > 0 ? Double(tally.failures) / Double(tally.results) : 0,
                results: tally.results,
                p50LatencySeconds: modelQuantiles[0],
                p95LatencySeconds: modelQuantiles[1],
                lastResultTimestamp: tally.results > 0 ? tally.latestTimestamp : nil,
                lastFailure: tally.latestFailure))
    }

    let allQuantiles = quantiles([0.5, 0.95, 0.99], reordering: &all)
    let successP95 = quantiles([0.95], reordering: &successLatencies)[0]
    let modelsAvailable = models.count(where: \.available)
    let errorRate = all.isEmpty ? 0 : Double(failures) / Double(all.count)
    // The latency score looks at successful results: a fast "connection refused" is not good latency.
    let latency = successP95.map { latencyScore(latencySeconds: $0, settings: score) } ?? 0
    let available = modelsAvailable > 0
    let breakerState = breaker.state(at: now)
    let p95 = allQuantiles[1]
    let status = evaluateStatus(
        StatusInputs(
            available: available, breaker: breakerState, errorRate: errorRate, p95LatencySeconds: p95,
            latestFailure: latestFailure, lowestRemainingRatio: rateLimit?.lowestRemainingRatio),
        thresholds: thresholds)

    return ProviderRollup(
        provider: provider, available: available, modelsAvailable: modelsAvailable, modelsTotal: models.count,
        errorRate: errorRate, results: all.count, failures: failures,
        p50LatencySeconds: allQuantiles[0], p95LatencySeconds: p95,
        p99LatencySeconds: allQuantiles[2], latencyScore: latency,
        healthScore: healthScore(
            availability: available ? 1 : 0, errorRate: errorRate, latencyScore: latency, settings: score),
        status: status, breakerState: breakerState, consecutiveFailures: breaker.consecutiveFailures,
        rateLimit: rateLimit, latestFailure: latestFailure, models: models)
}

/// The best provider: the healthy one with the highest score (ties: lower p95, then name).
public struct BestProviderChoice: Sendable, Equatable {
    public var best: String?
    public var reason: String
    /// The other healthy providers, best first.
    public var alternatives: [String]
}

public func chooseBestProvider(_ rollups: [ProviderRollup]) -> BestProviderChoice {
    let healthy = rollups.filter { $0.status == .healthy }.sorted { a, b in
        if a.healthScore != b.healthScore { return a.healthScore > b.healthScore }
        let pa = a.p95LatencySeconds ?? .infinity
        let pb = b.p95LatencySeconds ?? .infinity
        if pa != pb { return pa < pb }
        return a.provider < b.provider
    }
    guard let first = healthy.first else {
        return BestProviderChoice(
            best: nil, reason: rollups.isEmpty ? "no providers configured" : "no provider is healthy",
            alternatives: [])
    }
    let score = (first.healthScore * 1000).rounded() / 1000
    let reason =
        healthy.count == 1
        ? "the only healthy provider (score \(score))"
        : "highest health score (\(score)) of \(healthy.count) healthy providers"
    return BestProviderChoice(best: first.provider, reason: reason, alternatives: healthy.dropFirst().map(\.provider))
}
