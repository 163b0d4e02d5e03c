/// One model's values over the window.
public struct ModelRollup: Sendable, Equatable, Codable {
    public var name: String
    /// It can be used: see `ModelEvidence.available`.
    public var available: Bool
    public var errorRate: Double
    public var results: Int
    public var p50LatencySeconds: Double?
    public var p95LatencySeconds: Double?
    public var lastResultTimestamp: Double?
    public var lastFailure: FailureReason?
    /// Failures in a row (of them, from probes), and how many make an outage.
    public var failuresInARow: Int = 0
    public var probeFailuresInARow: Int = 0
    public var outageAfter: Int = ModelEvidence().requiredRun

    /// It failed too many times in a row to be bad luck.
    public var isOutage: Bool { failuresInARow >= outageAfter }
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
    /// The reported status (after hysteresis).
    public var status: ProviderStatus
    public var breakerState: CircuitBreaker.State
    public var consecutiveFailures: Int
    public var rateLimit: RateLimitSnapshot?
    public var latestFailure: FailureReason?
    public var models: [ModelRollup]
    /// What the rules found this cycle, and the status they call for (nil: nothing new, the last one stands).
    public var conditions: Set<StatusCondition> = []
    public var candidate: ProviderStatus? = nil
    /// The exporter's own probes saw the outage: `down` is reported at once. An outage seen in traffic alone (a
    /// burst of failures a gateway reports between two cycles) must hold like any other status.
    public var outageSeenByProbes = false
    /// p95 per probe operation in the window (the model-list check once per probe, each completion): the numbers
    /// the latency rule compares.
    public var probeP95LatencySeconds: [OperationName: Double] = [:]
    /// Unix time of the newest result, nil before the first.
    public var lastResultTimestamp: Double? = nil
}

/// A latency measured at some moment: a probe's check request.
public struct TimedLatency: Sendable, Equatable {
    public var timestamp: Double
    public var seconds: Double
    public init(timestamp: Double, seconds: Double) {
        self.timestamp = timestamp
        self.seconds = seconds
    }
}

/// The inputs of a roll-up besides the window: what the provider's tracker knows beyond its results.
public struct RollupContext: Sendable {
    /// The models the provider is configured with (`*` for the whole API); models seen only in traffic are
    /// reported too, after the configured ones.
    public var configuredModels: [String]
    /// Each model's outage evidence; a model without an entry has none.
    public var evidence: [String: ModelEvidence]
    /// The latency of each probe's check request in the window: what the `list_models` threshold judges.
    public var checkLatencies: [TimedLatency]
    public var breaker: CircuitBreaker
    /// The last rate-limit reading, if it is recent enough to count.
    public var rateLimit: RateLimitSnapshot?
    /// A quota wait the provider asked for (429/402 retry-after) lasts past the next regular probe.
    public var quotaPauseInForce: Bool
    /// The probe operations whose latency has a threshold (the check; the completion when it is on).
    public var probeOperations: [OperationName]
    public var thresholds: StatusThresholds
    public var score: ScoreSettings

    public init(
        configuredModels: [String], evidence: [String: ModelEvidence] = [:], checkLatencies: [TimedLatency] = [],
        breaker: CircuitBreaker = CircuitBreaker(),
        rateLimit: RateLimitSnapshot? = nil, quotaPauseInForce: Bool = false, probeOperations: [OperationName] = [.listModels],
        thresholds: StatusThresholds = StatusThresholds(), score: ScoreSettings = ScoreSettings()
    ) {
        self.configuredModels = configuredModels
        self.evidence = evidence
        self.checkLatencies = checkLatencies
        self.breaker = breaker
        self.rateLimit = rateLimit
        self.quotaPauseInForce = quotaPauseInForce
        self.probeOperations = probeOperations
        self.thresholds = thresholds
        self.score = score
    }
}

/// Whether events happened at two different moments at least: the smallest evidence a verdict stands on.
struct DistinctTimes {
    private var first: Double?
    private(set) var atLeastTwo = false

    mutating func insert(_ time: Double) {
        guard let first else {
            self.first = time
            return
        }
        if time != first { atLeastTwo = true }
    }
}

/// Nearest-rank quantile of an ascending array.
public func quantile(_ q: Double, ofSorted values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    let rank = Int((q * Double(values.count)).rounded(.up)) - 1
    return values[min(values.count - 1, max(0, rank))]
}

/// Rolls a provider's window up: the numbers, the conditions and the status they call for. Pure: the caller
/// expires the window first and applies hysteresis to `candidate` (`status` holds the candidate, or `healthy`).
public func rollUp(provider: String, window: ResultWindow, context: RollupContext, now: Double) -> ProviderRollup {
    struct Tally {
        var results = 0
        var failures = 0
        var quotaRefusals = 0
        var latestTimestamp = -Double.infinity
        var latestFailure: FailureReason?
        var latencies: [Double] = []
    }
    var perModel = [Tally](repeating: Tally(), count: window.models.count)
    var all: [Double] = []
    all.reserveCapacity(window.count)
    var successLatencies: [Double] = []
    var completionLatencies: [TimedLatency] = []
    var failures = 0
    var failureTimes = DistinctTimes()
    // The evidence for the error rate counts requests: a probe's failed model list is one failed request, however
    // many models it fails.
    var requests = 0
    var failedRequests = 0
    var lastCheckMoment: Double?
    var latestFailure: FailureReason?
    var latestTimestamp = -Double.infinity

    for entry in window.entries {
        let m = Int(entry.modelIndex)
        perModel[m].results += 1
        perModel[m].latencies.append(entry.latencySeconds)
        // The window keeps its entries in time order: the last one seen is the latest.
        if entry.timestamp >= perModel[m].latestTimestamp {
            perModel[m].latestTimestamp = entry.timestamp
            perModel[m].latestFailure = entry.reason
        }
        let copyOfACheck = entry.source == .probe && entry.operation == .listModels && lastCheckMoment == entry.timestamp
        if entry.source == .probe && entry.operation == .listModels { lastCheckMoment = entry.timestamp }
        if !copyOfACheck { requests += 1 }
        if !entry.success {
            perModel[m].failures += 1
            failures += 1
            failureTimes.insert(entry.timestamp)
            if !copyOfACheck { failedRequests += 1 }
            if entry.reason?.refusesForQuota == true { perModel[m].quotaRefusals += 1 }
        } else {
            successLatencies.append(entry.latencySeconds)
        }
        if entry.source == .probe, entry.operation == .chat {
            completionLatencies.append(TimedLatency(timestamp: entry.timestamp, seconds: entry.latencySeconds))
        }
        if entry.timestamp >= latestTimestamp {
            latestTimestamp = entry.timestamp
            latestFailure = entry.reason
        }
        all.append(entry.latencySeconds)
    }

    // Configured models first, in configuration order; then models only traffic has reported.
    var order: [String] = context.configuredModels
    let configured = Set(context.configuredModels)
    order += window.models.filter { !configured.contains($0) }

    var models: [ModelRollup] = []
    models.reserveCapacity(order.count)
    var quotaRefusing = false
    for name in order {
        let evidence = context.evidence[name] ?? ModelEvidence()
        guard let index = window.existingIndex(ofModel: name), perModel[Int(index)].results > 0 else {
            models.append(
                ModelRollup(
                    name: name, available: evidence.available, errorRate: 0, results: 0,
                    failuresInARow: evidence.run, probeFailuresInARow: evidence.probeFailuresInRun,
                    outageAfter: evidence.requiredRun))
            continue
        }
        var tally = perModel[Int(index)]
        if tally.latestFailure?.refusesForQuota == true, tally.quotaRefusals * 2 >= tally.results { quotaRefusing = true }
        let modelQuantiles = quantiles([0.5, 0.95], reordering: &tally.latencies)
        models.append(
            ModelRollup(
                name: name, available: evidence.available,
                errorRate: Double(tally.failures) / Double(tally.results), results: tally.results,
                p50LatencySeconds: modelQuantiles[0], p95LatencySeconds: modelQuantiles[1],
                lastResultTimestamp: tally.latestTimestamp, lastFailure: tally.latestFailure,
                failuresInARow: evidence.run, probeFailuresInARow: evidence.probeFailuresInRun,
                outageAfter: evidence.requiredRun))
    }

    let allQuantiles = quantiles([0.5, 0.95, 0.99], reordering: &all)
    let successP95 = quantiles([0.95], reordering: &successLatencies)[0]
    let modelsAvailable = models.count(where: \.available)
    let errorRate = all.isEmpty ? 0 : Double(failures) / Double(all.count)
    // The latency score looks at successful results: a fast "connection refused" is not good latency.
    let latency = successP95.map { latencyScore(latencySeconds: $0, settings: context.score) } ?? 0
    let available = modelsAvailable > 0
    let breakerState = context.breaker.state(at: now)

    let configuredRollups = models.prefix(context.configuredModels.count)
    let probeLatencies: [OperationName: [TimedLatency]] = [.listModels: context.checkLatencies, .chat: completionLatencies]
    let (probeP95, slowProbes) = probeLatency(probeLatencies, context: context)
    var conditions: Set<StatusCondition> = []
    if all.isEmpty { conditions.insert(.noResults) }
    if latestFailure?.rejectsKey == true { conditions.insert(.unauthorized) }
    if let outage = outageCondition(configuredRollups) { conditions.insert(outage) }
    if context.quotaPauseInForce { conditions.insert(.retryAfter) }
    if quotaRefusing { conditions.insert(.quotaRefusals) }
    if let ratio = context.rateLimit?.lowestRemainingRatio, ratio < context.thresholds.rateLimitRemainingRatio {
        conditions.insert(.quotaLow)
    }
    // Above the threshold with evidence: failures at two moments at least, and significantly more of the requests
    // than the threshold allows (see `significantlyAbove`).
    if failureTimes.atLeastTwo, errorRate > context.thresholds.errorRate,
        significantlyAbove(failedRequests, of: requests, share: context.thresholds.errorRate)
    {
        conditions.insert(.errorRate)
    }
    if slowProbes { conditions.insert(.latency) }
    if breakerState != .closed { conditions.insert(.breaker) }
    let candidate = candidateStatus(conditions)

    return ProviderRollup(
        provider: provider, available: available, modelsAvailable: modelsAvailable, modelsTotal: models.count,
        errorRate: errorRate, results: all.count, failures: failures,
        p50LatencySeconds: allQuantiles[0], p95LatencySeconds: allQuantiles[1],
        p99LatencySeconds: allQuantiles[2], latencyScore: latency,
        healthScore: healthScore(
            availability: available ? 1 : 0, errorRate: errorRate, latencyScore: latency, settings: context.score),
        status: candidate ?? .healthy, breakerState: breakerState,
        consecutiveFailures: context.breaker.consecutiveFailures, rateLimit: context.rateLimit,
        latestFailure: latestFailure, models: models, conditions: conditions, candidate: candidate,
        outageSeenByProbes: conditions.contains(.outage) && configuredRollups.contains { $0.isOutage && $0.probeFailuresInARow > 0 },
        probeP95LatencySeconds: probeP95, lastResultTimestamp: all.isEmpty ? nil : latestTimestamp)
}

/// `outage` when every configured model is unavailable and at least one failed too many times in a row (the others
/// may have had their key rejected); `modelOutage` when some, not all, did; nil otherwise.
func outageCondition(_ configured: ArraySlice<ModelRollup>) -> StatusCondition? {
    let failing = configured.filter(\.isOutage)
    guard !failing.isEmpty else { return nil }
    return configured.allSatisfy { !$0.available } ? .outage : .modelOutage
}

/// The p95 of each probe operation in the window, and whether one of them is above its threshold with evidence:
/// slow results at two moments at least, and significantly more than 5 % of them slow (one slow probe among
/// many is not a verdict).
func probeLatency(_ latencies: [OperationName: [TimedLatency]], context: RollupContext) -> (
    p95: [OperationName: Double], slow: Bool
) {
    var p95s: [OperationName: Double] = [:]
    var slow = false
    for operation in context.probeOperations {
        guard let samples = latencies[operation], !samples.isEmpty else { continue }
        var values = samples.map(\.seconds)
        guard let p95 = quantiles([0.95], reordering: &values)[0] else { continue }
        p95s[operation] = p95
        guard let threshold = context.thresholds.p95LatencySeconds(of: operation), p95 > threshold else { continue }
        let slowSamples = samples.filter { $0.seconds > threshold }
        var moments = DistinctTimes()
        for sample in slowSamples { moments.insert(sample.timestamp) }
        if moments.atLeastTwo, significantlyAbove(slowSamples.count, of: samples.count, share: 0.05) { slow = true }
    }
    return (p95s, slow)
}

/// The best provider: the healthy one with results in the window and the highest score (ties: lower p95, then
/// name). A provider presumed healthy for lack of results is no place to send traffic.
public struct BestProviderChoice: Sendable, Equatable {
    public var best: String?
    public var reason: String
    /// The other healthy providers, best first.
    public var alternatives: [String]
}

public func chooseBestProvider(_ rollups: [ProviderRollup]) -> BestProviderChoice {
    let healthy = rollups.filter { $0.status == .healthy && $0.results > 0 }.sorted { a, b in
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
