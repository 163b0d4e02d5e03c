@testable import HealthCore
import StatusPage

/// Rollups built by hand, so each test states exactly the values it checks.
enum Fixtures {
    static let now = 1_700_000_012.0  // 2023-11-14T22:13:32Z

    static func model(_ name: String, available: Bool, failure: FailureReason? = nil) -> ModelRollup {
        ModelRollup(
            name: name, available: available, errorRate: available ? 0 : 1, results: 10,
            p50LatencySeconds: 0.045, p95LatencySeconds: 0.08, lastResultTimestamp: now - 3,
            lastFailure: available ? nil : failure ?? .http5xx)
    }

    static func rollup(
        _ name: String, status: ProviderStatus, score: Double = 0.9, models: [ModelRollup]? = nil,
        rateLimit: RateLimitSnapshot? = nil, breaker: CircuitBreaker.State = .closed
    ) -> ProviderRollup {
        let models = models ?? [model("\(name)-model-1", available: status != .down)]
        let available = models.count(where: \.available)
        return ProviderRollup(
            provider: name, available: available > 0, modelsAvailable: available, modelsTotal: models.count,
            errorRate: 0.02, results: 50, failures: 1, p50LatencySeconds: 0.045, p95LatencySeconds: 0.0812,
            p99LatencySeconds: 0.09, latencyScore: 1, healthScore: score, status: status, breakerState: breaker,
            consecutiveFailures: 0, rateLimit: rateLimit, latestFailure: nil, models: models)
    }

    static func provider(
        _ name: String, status: ProviderStatus, score: Double = 0.9, models: [ModelRollup]? = nil,
        lastError: String? = nil
    ) -> StatusPageProvider {
        StatusPageProvider(
            rollup: rollup(name, status: status, score: score, models: models), uptime24h: 0.995,
            lastCheck: now - 12, lastError: lastError)
    }

    /// One provider per status, as the demo has them.
    static let demo: [StatusPageProvider] = [
        provider("demo-healthy", status: .healthy, score: 0.98),
        provider("demo-slow", status: .degraded, score: 0.91),
        provider("demo-flaky", status: .degraded, score: 0.8),
        provider("demo-ratelimited", status: .rateLimited, lastError: "HTTP 429: slow down"),
        provider("demo-unauthorized", status: .unauthorized, lastError: "HTTP 401: invalid key"),
        provider("demo-down", status: .down, score: 0.3, lastError: "connect: connection refused"),
    ]

    static let demoBest = best("demo-healthy", reason: "the only healthy provider (score 0.98)")

    static func best(_ name: String?, reason: String, alternatives: [String] = []) -> BestProviderChoice {
        BestProviderChoice(best: name, reason: reason, alternatives: alternatives)
    }

    /// How many times `needle` occurs in `haystack`.
    static func occurrences(of needle: String, in haystack: String) -> Int {
        haystack.split(separator: needle, omittingEmptySubsequences: false).count - 1
    }
}
