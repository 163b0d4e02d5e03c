import Testing

@testable import HealthCore

@Suite struct StatusRulesTests {
    let thresholds = StatusThresholds()

    func inputs(
        available: Bool = true, breaker: CircuitBreaker.State = .closed, errorRate: Double = 0, p95: Double? = 0.2,
        latestFailure: FailureReason? = nil, remaining: Double? = nil
    ) -> StatusInputs {
        StatusInputs(
            available: available, breaker: breaker, errorRate: errorRate, p95LatencySeconds: p95,
            latestFailure: latestFailure, lowestRemainingRatio: remaining)
    }

    @Test func healthyWhenEverythingIsWithinThresholds() {
        #expect(evaluateStatus(inputs(), thresholds: thresholds) == .healthy)
        #expect(evaluateStatus(inputs(errorRate: 0.05, p95: 1.0, remaining: 0.1), thresholds: thresholds) == .healthy)
    }

    @Test func unauthorizedOn401Or403() {
        #expect(evaluateStatus(inputs(available: false, latestFailure: .auth), thresholds: thresholds) == .unauthorized)
        #expect(evaluateStatus(inputs(available: false, breaker: .open, latestFailure: .auth), thresholds: thresholds) == .unauthorized)
    }

    @Test func rateLimitedOn429OrLowRemaining() {
        #expect(evaluateStatus(inputs(available: false, latestFailure: .rateLimited), thresholds: thresholds) == .rateLimited)
        #expect(evaluateStatus(inputs(remaining: 0.09), thresholds: thresholds) == .rateLimited)
        #expect(evaluateStatus(inputs(remaining: 0.10), thresholds: thresholds) == .healthy)
    }

    @Test func downWhenUnavailableOrBreakerOpen() {
        #expect(evaluateStatus(inputs(available: false), thresholds: thresholds) == .down)
        #expect(evaluateStatus(inputs(breaker: .open), thresholds: thresholds) == .down)
        #expect(evaluateStatus(inputs(available: false, latestFailure: .timeout), thresholds: thresholds) == .down)
    }

    @Test func degradedOnHalfOpenErrorRateOrSlowP95() {
        #expect(evaluateStatus(inputs(breaker: .halfOpen), thresholds: thresholds) == .degraded)
        #expect(evaluateStatus(inputs(errorRate: 0.051), thresholds: thresholds) == .degraded)
        #expect(evaluateStatus(inputs(p95: 1.01), thresholds: thresholds) == .degraded)
    }

    @Test func thresholdsAreConfigurable() {
        var loose = StatusThresholds()
        loose.errorRate = 0.5
        loose.p95LatencySeconds = 5
        loose.rateLimitRemainingRatio = 0.01
        #expect(evaluateStatus(inputs(errorRate: 0.3, p95: 4, remaining: 0.05), thresholds: loose) == .healthy)
    }

    @Test func levelsFoldFiveStatusesIntoThree() {
        #expect(ProviderStatus.healthy.level == .healthy)
        #expect(ProviderStatus.degraded.level == .degraded)
        #expect(ProviderStatus.rateLimited.level == .degraded)
        #expect(ProviderStatus.unauthorized.level == .down)
        #expect(ProviderStatus.down.level == .down)
    }
}
