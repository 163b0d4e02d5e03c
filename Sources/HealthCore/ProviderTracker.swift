/// Everything the exporter accumulates about one provider between aggregation cycles: the window, the
/// breaker, the probe budget, the cumulative histograms and counters. A plain value; the store that owns
/// it serialises access.
public struct ProviderTracker: Sendable {
    public struct FailureKey: Hashable, Sendable {
        public var source: ResultSource
        public var reason: FailureReason
        public init(source: ResultSource, reason: FailureReason) {
            self.source = source
            self.reason = reason
        }
    }

    public private(set) var settings: ProviderSettings
    public private(set) var window: ResultWindow
    public var breaker: CircuitBreaker
    public var budget: ProbeBudget
    public private(set) var histogram: LatencyHistogram
    public private(set) var modelHistograms: [String: LatencyHistogram] = [:]
    public private(set) var resultsTotal: [ResultSource: UInt64] = [:]
    public private(set) var failuresTotal: [FailureKey: UInt64] = [:]
    public private(set) var probeRequestsTotal: UInt64 = 0
    public private(set) var lastProbeTimestamp: Double?
    /// The last probe's outcome, for on-demand checks that may answer from it.
    public private(set) var lastOutcome: ProbeOutcome?
    public private(set) var rateLimit: RateLimitSnapshot?
    public private(set) var rateLimitTimestamp: Double?
    public private(set) var lastError: String?
    public private(set) var lastErrorTimestamp: Double?
    /// The status of the last aggregation cycle, nil before the first.
    public private(set) var status: ProviderStatus?
    public private(set) var statusChanges: [ProviderStatus: UInt64] = [:]

    public init(settings: ProviderSettings, global: GlobalSettings) {
        self.settings = settings
        self.window = ResultWindow(lengthSeconds: global.windowSeconds)
        self.breaker = CircuitBreaker(settings: settings.breaker)
        self.budget = ProbeBudget(maxPerHour: settings.maxProbesPerHour)
        self.histogram = LatencyHistogram(bounds: global.latencyBuckets)
    }

    /// Distinct models with results in the window or configured.
    public var knownModelCount: Int { Set(window.models).union(settings.modelNames).count }

    /// Adds one result (probe or traffic) to the window, the histograms and the counters.
    public mutating func record(_ result: ModelResult) {
        window.append(result)
        histogram.observe(result.latencySeconds)
        modelHistograms[result.model, default: LatencyHistogram(bounds: histogram.bounds)].observe(result.latencySeconds)
        resultsTotal[result.source, default: 0] += 1
        if !result.success, let reason = result.reason {
            failuresTotal[FailureKey(source: result.source, reason: reason), default: 0] += 1
            if let error = result.error {
                lastError = error
                lastErrorTimestamp = result.timestamp
            }
        }
    }

    /// Adds a probe outcome: its results, the breaker, the budget, the rate-limit state.
    public mutating func record(_ outcome: ProbeOutcome, completedAt now: Double) {
        for result in outcome.results { record(result) }
        probeRequestsTotal += UInt64(max(0, outcome.requestsSent))
        lastProbeTimestamp = outcome.timestamp
        lastOutcome = outcome
        budget.record(requests: outcome.requestsSent, at: outcome.timestamp)
        if outcome.providerReachable {
            breaker.recordSuccess(at: now)
        } else {
            breaker.recordFailure(at: now)
        }
        if let limits = outcome.rateLimit, !limits.isEmpty {
            if limits.requestsRemainingRatio != nil || limits.tokensRemainingRatio != nil {
                rateLimit = limits
                rateLimitTimestamp = outcome.timestamp
            }
            if let wait = limits.retryAfterSeconds { budget.backOff(seconds: wait, from: now) }
        }
        if let error = outcome.error, outcome.reason != nil {
            lastError = error
            lastErrorTimestamp = outcome.timestamp
        }
    }

    /// Rolls the window up at `now` and remembers the status; returns the rollup and whether the status changed.
    public mutating func aggregate(now: Double, score: ScoreSettings) -> (rollup: ProviderRollup, changedFrom: ProviderStatus??) {
        window.expire(now: now)
        // A rate-limit reading older than the window no longer describes the provider.
        let freshLimits = rateLimitTimestamp.map { now - $0 <= window.lengthSeconds } == true ? rateLimit : nil
        let rollup = rollUp(
            provider: settings.name, window: window, configuredModels: settings.modelNames, breaker: breaker, now: now,
            rateLimit: freshLimits, score: score, thresholds: settings.thresholds)
        var changedFrom: ProviderStatus??
        if status != rollup.status {
            changedFrom = .some(status)
            statusChanges[rollup.status, default: 0] += 1
            status = rollup.status
        }
        return (rollup, changedFrom)
    }

    /// Applies new settings for the same provider name, keeping window, breaker and counters.
    public mutating func reconfigure(_ newSettings: ProviderSettings) {
        if newSettings.models != settings.models {
            let keep = Set(newSettings.modelNames)
            window.retainModels(keep)
            modelHistograms = modelHistograms.filter { keep.contains($0.key) }
        }
        breaker.settings = newSettings.breaker
        budget.maxPerHour = newSettings.maxProbesPerHour
        settings = newSettings
    }
}
