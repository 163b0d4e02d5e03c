/// The five statuses, each calling for a different action.
public enum ProviderStatus: String, Sendable, CaseIterable, Codable, Comparable {
    /// Everything within thresholds.
    case healthy
    /// Some models out, errors or probe latency above threshold, or the breaker not closed: watch it, maybe route away.
    case degraded
    /// The provider refuses for quota now: slow down.
    case rateLimited = "rate_limited"
    /// 401/403: the key is wrong or revoked — fix the key, not the provider.
    case unauthorized
    /// Every model failed enough times in a row: route away.
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

/// What a cycle found about a provider: the facts the status is decided from, each exported as
/// `provider_condition{condition}` so that an alert reads the same verdict as the status page.
public enum StatusCondition: String, Sendable, CaseIterable, Codable, Hashable {
    /// The latest result was a 401/403.
    case unauthorized
    /// Every configured model failed too many times in a row to be bad luck (see `OutageEvidence`).
    case outage
    /// A 429/402 asked for a wait that lasts past the next regular probe, and it is still in force.
    case retryAfter = "retry_after"
    /// For some model, 429/402 answers are at least half of its results in the window, the latest among them.
    case quotaRefusals = "quota_refusals"
    /// The lowest remaining ratio of the rate-limit headers is under the threshold.
    case quotaLow = "quota_low"
    /// Some configured models, not all, failed too many times in a row.
    case modelOutage = "model_outage"
    /// Error rate above the threshold, with at least two failed results.
    case errorRate = "error_rate"
    /// The p95 latency of a probe operation above its threshold, with at least two results above it.
    case latency
    /// The circuit breaker is open or half-open.
    case breaker
    /// The window holds no result (probing paused, or slower than the window): the status stays what it was.
    case noResults = "no_results"

    /// One line for a person: what was found.
    public var explanation: String {
        switch self {
        case .unauthorized: return "the latest answer rejected the key (401/403)"
        case .outage: return "every model failed too many times in a row"
        case .retryAfter: return "the provider asked to wait (retry-after) past the next probe"
        case .quotaRefusals: return "most recent answers of a model were 429/402"
        case .quotaLow: return "the rate-limit headers show little budget left"
        case .modelOutage: return "some models failed too many times in a row"
        case .errorRate: return "the error rate is above its threshold"
        case .latency: return "the probe latency (p95) is above its threshold"
        case .breaker: return "the circuit breaker is not closed"
        case .noResults: return "no result in the window: the status is the last one known"
        }
    }

    /// The status a condition calls for, nil for `noResults` (which keeps the last one).
    var status: ProviderStatus? {
        switch self {
        case .unauthorized: return .unauthorized
        case .outage: return .down
        case .retryAfter, .quotaRefusals, .quotaLow: return .rateLimited
        case .modelOutage, .errorRate, .latency, .breaker: return .degraded
        case .noResults: return nil
        }
    }
}

/// The status the conditions call for, the most specific action first: a revoked key also makes every model
/// fail, but "fix the key" is what the on-call needs to read; an outage outranks the quota of a provider that
/// no longer answers. Nil when the window is empty and nothing new is known: the last status stands.
public func candidateStatus(_ conditions: Set<StatusCondition>) -> ProviderStatus? {
    if conditions.contains(.noResults) {
        return conditions.contains(.retryAfter) ? .rateLimited : nil
    }
    let called = Set(conditions.compactMap(\.status))
    return [.unauthorized, .down, .rateLimited, .degraded].first(where: called.contains) ?? .healthy
}

/// Hysteresis: a status other than the reported one is reported once the rules have given it for `holdCycles`
/// consecutive cycles, so that a stationary behaviour gives a stationary status. What must not wait (a rejected
/// key, an outage the probes saw) is reported at once; so is the first status of a provider.
public struct StatusHysteresis: Sendable, Equatable {
    public private(set) var reported: ProviderStatus?
    private var pending: ProviderStatus?
    private var pendingCycles = 0

    public init() {}

    /// Feeds one cycle's candidate (nil: nothing new is known); returns the status to report. A provider with
    /// nothing known yet is `healthy`: never `down` for lack of results.
    public mutating func update(candidate: ProviderStatus?, holdCycles: Int, atOnce: Bool = false) -> ProviderStatus {
        guard let current = reported else {
            let first = candidate ?? .healthy
            reported = first
            return first
        }
        guard let candidate, candidate != current else {
            pending = nil
            return current
        }
        if pending == candidate {
            pendingCycles += 1
        } else {
            pending = candidate
            pendingCycles = 1
        }
        guard atOnce || pendingCycles >= max(1, holdCycles) else { return current }
        reported = candidate
        pending = nil
        return candidate
    }
}

extension Set where Element == StatusCondition {
    /// The conditions in their declared order, for the lists people read (JSON, the status page).
    public var inDeclaredOrder: [StatusCondition] { StatusCondition.allCases.filter(contains) }
}
