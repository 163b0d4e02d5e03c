/// One provider as an aggregation cycle left it: the rollup of its window and, frozen at the same moment, its
/// cumulative counters, histograms and timestamps. /metrics, the JSON API, the status page and the history read
/// this, never the live tracker, so an answer never mixes the cycle with what happened since.
public struct ProviderReport: Sendable {
    public var settings: ProviderSettings
    public var rollup: ProviderRollup
    public var histograms: [LatencySeries: LatencyHistogram]
    /// Per model, only operations about one model (completions, traffic).
    public var modelHistograms: [String: [LatencySeries: LatencyHistogram]]
    /// Time to the first token of the results that carry one; per model as above.
    public var firstTokenHistograms: [LatencySeries: LatencyHistogram] = [:]
    public var modelFirstTokenHistograms: [String: [LatencySeries: LatencyHistogram]] = [:]
    public var resultsTotal: [ResultSource: UInt64]
    public var failuresTotal: [FailureKey: UInt64]
    public var probeRequestsTotal: UInt64
    public var statusChanges: [ProviderStatus: UInt64]
    /// Unix time of the last probe, nil before the first.
    public var lastProbeTimestamp: Double?
    /// When the next probe is due (see `ProviderTracker.nextProbeDue`); nil for a provider that is never probed.
    public var nextProbeDue: Double?
    /// The deadline of a retry-after still in force at the cycle, nil when none is.
    public var retryAfterUntil: Double?
    /// The last error message (never a secret), and when it happened.
    public var lastError: String?
    public var lastErrorTimestamp: Double?

    public var name: String { settings.name }
}

/// What a failure counter is sliced by: where the result came from and why it failed.
public struct FailureKey: Hashable, Sendable {
    public var source: ResultSource
    public var reason: FailureReason
    public init(source: ResultSource, reason: FailureReason) {
        self.source = source
        self.reason = reason
    }
}

/// What a latency histogram series is sliced by: where the result came from and what the request did.
public struct LatencySeries: Hashable, Sendable, Comparable {
    public var source: ResultSource
    public var operation: OperationName
    public init(source: ResultSource, operation: OperationName) {
        self.source = source
        self.operation = operation
    }
    public static func < (a: Self, b: Self) -> Bool {
        (a.source.rawValue, a.operation.rawValue) < (b.source.rawValue, b.operation.rawValue)
    }
}
