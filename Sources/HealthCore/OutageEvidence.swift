#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What one model's results say about an outage: how many failed in a row, and how many in a row it takes to
/// call that an outage rather than bad luck.
///
/// A run of failures is an outage when it would happen by chance less than once in 100,000 runs at the rate the
/// model fails while it works — the share of its results right after an answer that failed. That rate is
/// estimated from the model's last ~1,000 such results, starting from 5 %, and taken at its pessimistic 95 %
/// bound, so that little evidence never looks clean. So a model that has answered cleanly for a while needs
/// 2 or 3 failures in a row, a fresh one 7, one that fails 20 % of the time at random 8 (at most): its
/// random runs of 5 are not outages, a real one (every answer failing) still is.
///
/// Failures that count: the provider did not answer or answered with nothing usable (timeouts, refused
/// connections, DNS, TLS, 5xx, unusable answers, missing models, 4xx of a probe). A quota refusal (429/402) and
/// a rejected key (401/403) are answers: they end a run. A client error in a gateway's traffic is skipped.
public struct ModelEvidence: Sendable, Equatable {
    /// Failures in a row, newest last; 0 after an answer.
    public private(set) var run = 0
    /// The run the current one needs to be an outage, fixed when it began so that its own failures do not
    /// raise the bar; the bar for the next run while there is none.
    public private(set) var requiredRun: Int
    /// Failures of the run that came from the exporter's own probes (the others are a gateway's traffic).
    public private(set) var probeFailuresInRun = 0
    /// The latest answer rejected the key.
    public private(set) var keyRejected = false
    private var previous: Kind?
    /// Decayed counts of results that followed an answer, and of those that failed.
    private var afterAnswers = 0.0
    private var failuresAfterAnswers = 0.0

    enum Kind { case answered, keyRejected, failed }

    public init() {
        requiredRun = Self.requiredRun(failuresAfterAnswers: 0, afterAnswers: 0)
    }

    /// Whether the run is long enough to be an outage.
    public var isOutage: Bool { run >= requiredRun }

    /// Whether the model can be used: no outage, key not rejected. A model never heard of is.
    public var available: Bool { !keyRejected && !isOutage }

    /// A run has begun but is too short for a verdict: one more result settles it sooner.
    public var awaitsConfirmation: Bool { run > 0 && !isOutage }

    /// Adds one result, in the order results arrive.
    public mutating func observe(success: Bool, reason: FailureReason?, source: ResultSource) {
        let kind: Kind
        if success || reason?.refusesForQuota == true {
            kind = .answered
        } else if reason?.rejectsKey == true {
            kind = .keyRejected
        } else if let reason, reason.countsTowardsOutage(source: source) {
            kind = .failed
        } else {
            return
        }
        if kind == .failed {
            if run == 0 {
                requiredRun = Self.requiredRun(failuresAfterAnswers: failuresAfterAnswers, afterAnswers: afterAnswers)
            }
            run += 1
            if source == .probe { probeFailuresInRun += 1 }
        } else {
            run = 0
            probeFailuresInRun = 0
        }
        if let previous, previous != .failed {
            afterAnswers = afterAnswers * Self.decay + 1
            failuresAfterAnswers = failuresAfterAnswers * Self.decay + (kind == .failed ? 1 : 0)
        }
        if run == 0 {
            requiredRun = Self.requiredRun(failuresAfterAnswers: failuresAfterAnswers, afterAnswers: afterAnswers)
        }
        keyRejected = kind == .keyRejected
        previous = kind
    }

    /// Chance of a random run that is accepted as an outage.
    static let chance = 1e-5
    /// The prior: 0.5 failures in 10 results (5 %).
    static let priorFailures = 0.5
    static let priorResults = 10.0
    /// One-sided 95 % normal bound.
    static let z = 1.645
    /// Counts lose weight by 1/1000 per result: a memory of about 1,000 results.
    static let decay = 1 - 1.0 / 1000
    static let minimumRun = 2
    static let maximumRun = 8

    /// The smallest k ≥ 2 with q^k ≤ `chance`, q the pessimistic bound of the failure rate; at most 8.
    static func requiredRun(failuresAfterAnswers: Double, afterAnswers: Double) -> Int {
        let total = afterAnswers + priorResults
        let mean = (failuresAfterAnswers + priorFailures) / total
        let bound = min(0.95, mean + z * (mean * (1 - mean) / (total + 1)).squareRoot())
        let k = Int((log(chance) / log(bound) - 1e-9).rounded(.up))
        return min(maximumRun, max(minimumRun, k))
    }
}
