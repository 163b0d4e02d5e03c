/// The five statuses, each calling for a different action.
public enum ProviderStatus: String, Sendable, CaseIterable, Codable, Comparable {
    /// Everything within thresholds.
    case healthy
    /// Breaker half-open, error rate or p95 latency above threshold: watch it, maybe route away.
    case degraded
    /// 429/402 or remaining budget nearly exhausted: slow down.
    case rateLimited = "rate_limited"
    /// 401/403: the key is wrong or revoked — fix the key, not the provider.
    case unauthorized
    /// No model available, or breaker open: route away.
    case down

    /// The three-level view: rate_limited counts as degraded, unauthorized as down.
    public var level: Level {
        switch self {
        case .healthy: return .healthy
        case .degraded, .rateLimited: return .degraded
        case .unauthorized, .down: return .down
        }
    }

    public enum Level: String, Sendable, CaseIterable, Codable {
        case healthy, degraded, down
    }

    private var order: Int { Self.allCases.firstIndex(of: self) ?? 0 }
    public static func < (lhs: ProviderStatus, rhs: ProviderStatus) -> Bool { lhs.order < rhs.order }
}

/// What the status rules look at, all from the last window.
public struct StatusInputs: Sendable, Equatable {
    public var available: Bool
    public var breaker: CircuitBreaker.State
    public var errorRate: Double
    /// p95 latency over the window, nil with no results.
    public var p95LatencySeconds: Double?
    /// The failure reason of the most recent result, nil when it succeeded (or there is none).
    public var latestFailure: FailureReason?
    /// The lowest remaining rate-limit ratio the provider last reported, if any.
    public var lowestRemainingRatio: Double?

    public init(
        available: Bool, breaker: CircuitBreaker.State, errorRate: Double, p95LatencySeconds: Double?,
        latestFailure: FailureReason?, lowestRemainingRatio: Double?
    ) {
        self.available = available
        self.breaker = breaker
        self.errorRate = errorRate
        self.p95LatencySeconds = p95LatencySeconds
        self.latestFailure = latestFailure
        self.lowestRemainingRatio = lowestRemainingRatio
    }
}

/// Status rules, first match wins: unauthorized, rate_limited, down, degraded, healthy.
/// The order puts the most specific action first: a revoked key also makes every model unavailable,
/// but "fix the key" is what the on-call needs to read.
public func evaluateStatus(_ inputs: StatusInputs, thresholds: StatusThresholds) -> ProviderStatus {
    if inputs.latestFailure == .auth { return .unauthorized }
    if inputs.latestFailure == .rateLimited { return .rateLimited }
    if let ratio = inputs.lowestRemainingRatio, ratio < thresholds.rateLimitRemainingRatio { return .rateLimited }
    if !inputs.available || inputs.breaker == .open { return .down }
    if inputs.breaker == .halfOpen { return .degraded }
    if inputs.errorRate > thresholds.errorRate { return .degraded }
    if let p95 = inputs.p95LatencySeconds, p95 > thresholds.p95LatencySeconds { return .degraded }
    return .healthy
}
