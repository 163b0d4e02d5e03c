#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HealthCore

/// JSON shapes of the HTTP API. Times are RFC 3339 strings, durations seconds, ratios 0..1 and uptime in percent.
struct ProviderView: Encodable {
    var name: String
    var status: String
    var level: String
    var available: Bool
    var healthScore: Double
    var errorRate: Double
    var p50LatencySeconds: Double?
    var p95LatencySeconds: Double?
    var p99LatencySeconds: Double?
    var uptime24hPercent: Double?
    var uptime7dPercent: Double?
    var rateLimitRemainingPercent: RateLimitView?
    var consecutiveFailures: Int
    var circuitBreaker: String
    var modelsAvailable: Int
    var modelsTotal: Int
    var resultsInWindow: Int
    /// What the status rules found this cycle (`provider_condition`).
    var conditions: [String]
    var lastCheck: String?
    /// The newest result: how old what the status stands on is.
    var lastResult: String?
    var nextProbe: String?
    var retryAfterUntil: String?
    var lastError: String?
    var models: [ModelView]?
    /// The cycle an answer about one provider describes.
    var cycle: CycleView?

    enum CodingKeys: String, CodingKey {
        case name, status, level, available, models, cycle
        case healthScore = "health_score"
        case errorRate = "error_rate"
        case p50LatencySeconds = "p50_latency_seconds"
        case p95LatencySeconds = "p95_latency_seconds"
        case p99LatencySeconds = "p99_latency_seconds"
        case uptime24hPercent = "uptime_24h_percent"
        case uptime7dPercent = "uptime_7d_percent"
        case rateLimitRemainingPercent = "rate_limit_remaining_percent"
        case consecutiveFailures = "consecutive_failures"
        case circuitBreaker = "circuit_breaker"
        case modelsAvailable = "models_available"
        case modelsTotal = "models_total"
        case resultsInWindow = "results_in_window"
        case conditions
        case lastCheck = "last_check"
        case lastResult = "last_result"
        case nextProbe = "next_probe"
        case retryAfterUntil = "retry_after_until"
        case lastError = "last_error"
    }
}

struct RateLimitView: Encodable {
    var requests: Double?
    var tokens: Double?
}

struct ModelView: Encodable {
    var name: String
    var available: Bool
    var errorRate: Double
    var results: Int
    var p50LatencySeconds: Double?
    var p95LatencySeconds: Double?
    var lastResult: String?
    var lastFailure: String?
    var failuresInARow: Int
    var outageAfter: Int

    enum CodingKeys: String, CodingKey {
        case name, available, results
        case errorRate = "error_rate"
        case p50LatencySeconds = "p50_latency_seconds"
        case p95LatencySeconds = "p95_latency_seconds"
        case lastResult = "last_result"
        case lastFailure = "last_failure"
        case failuresInARow = "failures_in_a_row"
        case outageAfter = "outage_after_failures"
    }
}

struct ProbeOutcomeView: Encodable {
    var provider: String
    var cached: Bool
    var checkedAt: String
    var reachable: Bool
    var statusCode: Int?
    var reason: String?
    var error: String?
    var requestsSent: Int
    var models: [ModelResultView]

    enum CodingKeys: String, CodingKey {
        case provider, cached, reachable, reason, error, models
        case checkedAt = "checked_at"
        case statusCode = "status_code"
        case requestsSent = "requests_sent"
    }

    init(_ outcome: ProbeOutcome, cached: Bool) {
        provider = outcome.provider
        self.cached = cached
        checkedAt = rfc3339(outcome.timestamp)
        reachable = outcome.providerReachable
        statusCode = outcome.statusCode
        reason = outcome.reason?.rawValue
        error = outcome.error
        requestsSent = outcome.requestsSent
        models = outcome.results.map {
            ModelResultView(model: $0.model, success: $0.success, reason: $0.reason?.rawValue, latencySeconds: $0.latencySeconds, statusCode: $0.statusCode)
        }
    }
}

struct ModelResultView: Encodable {
    var model: String
    var success: Bool
    var reason: String?
    var latencySeconds: Double
    var statusCode: Int?
    enum CodingKeys: String, CodingKey {
        case model, success, reason
        case latencySeconds = "latency_seconds"
        case statusCode = "status_code"
    }
}

func rfc3339(_ unix: Double) -> String {
    UTCTimestamp(unixSeconds: unix).rfc3339(milliseconds: true)
}

/// Finite numbers only: JSON has no NaN or infinity.
func finite(_ value: Double?) -> Double? {
    guard let value, value.isFinite else { return nil }
    return value
}

/// Which aggregation cycle an answer describes.
struct CycleView: Encodable {
    var sequence: UInt64
    var timestamp: String

    init(_ report: CycleReport) {
        sequence = report.sequence
        timestamp = rfc3339(report.timestamp)
    }
}

func providerView(_ provider: ProviderReport, of cycle: CycleReport, withModels: Bool) -> ProviderView {
    let rollup = provider.rollup
    let uptime = cycle.uptimes[provider.name]
    let limits = rollup.rateLimit
    let rateLimit: RateLimitView? =
        limits.flatMap { l in
            l.requestsRemainingRatio == nil && l.tokensRemainingRatio == nil
                ? nil : RateLimitView(requests: l.requestsRemainingRatio.map { $0 * 100 }, tokens: l.tokensRemainingRatio.map { $0 * 100 })
        }
    return ProviderView(
        name: rollup.provider, status: rollup.status.rawValue, level: rollup.status.level.rawValue,
        available: rollup.available, healthScore: rollup.healthScore, errorRate: rollup.errorRate,
        p50LatencySeconds: finite(rollup.p50LatencySeconds), p95LatencySeconds: finite(rollup.p95LatencySeconds),
        p99LatencySeconds: finite(rollup.p99LatencySeconds), uptime24hPercent: uptime?.day.map { $0 * 100 },
        uptime7dPercent: uptime?.week.map { $0 * 100 }, rateLimitRemainingPercent: rateLimit,
        consecutiveFailures: rollup.consecutiveFailures, circuitBreaker: rollup.breakerState.rawValue,
        modelsAvailable: rollup.modelsAvailable, modelsTotal: rollup.modelsTotal, resultsInWindow: rollup.results,
        conditions: rollup.conditions.inDeclaredOrder.map(\.rawValue),
        lastCheck: provider.lastProbeTimestamp.map(rfc3339), lastResult: rollup.lastResultTimestamp.map(rfc3339),
        nextProbe: provider.nextProbeDue.map(rfc3339), retryAfterUntil: provider.retryAfterUntil.map(rfc3339),
        lastError: provider.lastError,
        models: withModels
            ? rollup.models.map {
                ModelView(
                    name: $0.name, available: $0.available, errorRate: $0.errorRate, results: $0.results,
                    p50LatencySeconds: finite($0.p50LatencySeconds), p95LatencySeconds: finite($0.p95LatencySeconds),
                    lastResult: $0.lastResultTimestamp.map(rfc3339), lastFailure: $0.lastFailure?.rawValue,
                    failuresInARow: $0.failuresInARow, outageAfter: $0.outageAfter)
            } : nil)
}

/// Encodes a value as pretty JSON with sorted keys (stable output for humans and diffs).
func encodeJSON<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(value) else { return "{}" }
    return String(decoding: data, as: UTF8.self) + "\n"
}
