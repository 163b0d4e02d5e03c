import Testing

@testable import HealthCore

@Suite struct CircuitBreakerTests {
    /// An injected clock: Unix seconds the test moves by hand.
    var now = 1_000_000.0

    @Test mutating func opensAfterFiveConsecutiveFailures() {
        var breaker = CircuitBreaker()
        for i in 1...4 {
            breaker.recordFailure(at: now)
            #expect(breaker.state(at: now) == .closed, "still closed after \(i) failures")
        }
        breaker.recordFailure(at: now)
        #expect(breaker.state(at: now) == .open)
        #expect(breaker.consecutiveFailures == 5)
        #expect(!breaker.allowsProbe(at: now))
    }

    @Test mutating func aSuccessResetsTheFailureCount() {
        var breaker = CircuitBreaker()
        for _ in 1...4 { breaker.recordFailure(at: now) }
        breaker.recordSuccess(at: now)
        #expect(breaker.consecutiveFailures == 0)
        for _ in 1...4 { breaker.recordFailure(at: now) }
        #expect(breaker.state(at: now) == .closed)
    }

    @Test mutating func turnsHalfOpenAfterSixtySeconds() {
        var breaker = CircuitBreaker()
        for _ in 1...5 { breaker.recordFailure(at: now) }
        now += 59.9
        #expect(breaker.state(at: now) == .open)
        #expect(!breaker.allowsProbe(at: now))
        now += 0.1
        #expect(breaker.state(at: now) == .halfOpen)
        #expect(breaker.allowsProbe(at: now))
    }

    @Test mutating func closesAfterThreeSuccessesWhenHalfOpen() {
        var breaker = CircuitBreaker()
        for _ in 1...5 { breaker.recordFailure(at: now) }
        now += 60
        breaker.recordSuccess(at: now)
        breaker.recordSuccess(at: now)
        #expect(breaker.state(at: now) == .halfOpen)
        breaker.recordSuccess(at: now)
        #expect(breaker.state(at: now) == .closed)
        #expect(breaker.consecutiveFailures == 0)
    }

    @Test mutating func anyFailureWhenHalfOpenReopens() {
        var breaker = CircuitBreaker()
        for _ in 1...5 { breaker.recordFailure(at: now) }
        now += 60
        breaker.recordSuccess(at: now)
        breaker.recordSuccess(at: now)
        breaker.recordFailure(at: now)
        #expect(breaker.state(at: now) == .open)
        // And the new open period starts from this failure.
        now += 59
        #expect(breaker.state(at: now) == .open)
        now += 1
        #expect(breaker.state(at: now) == .halfOpen)
    }

    @Test mutating func thresholdsAreConfigurable() {
        var settings = BreakerSettings()
        settings.failureThreshold = 2
        settings.openSeconds = 10
        settings.successThreshold = 1
        var breaker = CircuitBreaker(settings: settings)
        breaker.recordFailure(at: now)
        breaker.recordFailure(at: now)
        #expect(breaker.state(at: now) == .open)
        now += 10
        breaker.recordSuccess(at: now)
        #expect(breaker.state(at: now) == .closed)
    }

    @Test mutating func resetCloses() {
        var breaker = CircuitBreaker()
        for _ in 1...5 { breaker.recordFailure(at: now) }
        breaker.reset()
        #expect(breaker.state(at: now) == .closed)
        #expect(breaker.consecutiveFailures == 0)
    }
}
