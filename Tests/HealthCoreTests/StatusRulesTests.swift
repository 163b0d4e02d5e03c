import Testing

@testable import HealthCore

@Suite struct StatusRulesTests {
    @Test func noConditionIsHealthy() {
        #expect(candidateStatus([]) == .healthy)
    }

    @Test func mostSpecificActionWins() {
        // A rejected key also makes every model fail: "fix the key" first.
        #expect(candidateStatus([.unauthorized, .outage, .errorRate]) == .unauthorized)
        // A provider that no longer answers is down, whatever its quota said before.
        #expect(candidateStatus([.outage, .quotaLow, .breaker]) == .down)
        #expect(candidateStatus([.retryAfter, .errorRate]) == .rateLimited)
        #expect(candidateStatus([.quotaRefusals]) == .rateLimited)
        #expect(candidateStatus([.quotaLow, .latency]) == .rateLimited)
        for degrading in [StatusCondition.modelOutage, .errorRate, .latency, .breaker] {
            #expect(candidateStatus([degrading]) == .degraded, "\(degrading)")
        }
    }

    @Test func anEmptyWindowKeepsTheLastStatusUnlessAQuotaWaitIsInForce() {
        #expect(candidateStatus([.noResults]) == nil)
        #expect(candidateStatus([.noResults, .breaker]) == nil)
        #expect(candidateStatus([.noResults, .retryAfter]) == .rateLimited)
    }

    @Test func levelsFoldFiveStatusesIntoThree() {
        #expect(ProviderStatus.healthy.level == .healthy)
        #expect(ProviderStatus.degraded.level == .degraded)
        #expect(ProviderStatus.rateLimited.level == .degraded)
        #expect(ProviderStatus.unauthorized.level == .down)
        #expect(ProviderStatus.down.level == .down)
    }
}

@Suite struct StatusHysteresisTests {
    /// As the tracker calls it: a rejected key and a probed outage at once.
    func feed(_ candidates: [ProviderStatus?], hold: Int = 2, atOnce: Set<ProviderStatus> = [.down, .unauthorized])
        -> [ProviderStatus]
    {
        var hysteresis = StatusHysteresis()
        return candidates.map {
            hysteresis.update(candidate: $0, holdCycles: hold, atOnce: $0.map(atOnce.contains) ?? false)
        }
    }

    @Test func theFirstStatusIsReportedAtOnceAndNothingKnownIsHealthy() {
        #expect(feed([.degraded]) == [.degraded])
        #expect(feed([nil, nil, .healthy]) == [.healthy, .healthy, .healthy])
    }

    @Test func aNewStatusMustHoldForTheConfiguredCycles() {
        #expect(feed([.healthy, .degraded, .degraded, .degraded]) == [.healthy, .healthy, .degraded, .degraded])
        #expect(
            feed([.healthy, .degraded, .degraded, .degraded], hold: 3) == [.healthy, .healthy, .healthy, .degraded])
        #expect(feed([.healthy, .degraded], hold: 1) == [.healthy, .degraded])
    }

    @Test func aBlipShorterThanTheHoldChangesNothing() {
        let reported = feed([.degraded, .rateLimited, .degraded, .rateLimited, .degraded, .healthy, .degraded])
        #expect(Set(reported) == [.degraded])
    }

    @Test func downAndUnauthorizedAreReportedAtOnceAndRecoveryHolds() {
        #expect(feed([.healthy, .down, .healthy, .healthy]) == [.healthy, .down, .down, .healthy])
        #expect(feed([.healthy, .unauthorized]) == [.healthy, .unauthorized])
        #expect(feed([.down, .degraded, .healthy, .healthy]) == [.down, .down, .down, .healthy])
    }

    @Test func anOutageSeenOnlyInTrafficHoldsLikeAnyOtherStatus() {
        #expect(feed([.healthy, .down, .healthy, .healthy], atOnce: []) == [.healthy, .healthy, .healthy, .healthy])
        #expect(feed([.healthy, .down, .down], atOnce: []) == [.healthy, .healthy, .down])
    }

    @Test func cyclesWithNothingNewKeepTheStatusAndResetAPendingChange() {
        #expect(feed([.down, nil, nil, nil]) == [.down, .down, .down, .down])
        #expect(feed([.healthy, .degraded, nil, .degraded]) == [.healthy, .healthy, .healthy, .healthy])
    }
}
