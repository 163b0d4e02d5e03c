import Testing

@testable import HealthCore

func result(
    _ model: String, success: Bool = true, latency: Double = 0.1, at time: Double, reason: FailureReason? = nil,
    source: ResultSource = .probe, provider: String = "p"
) -> ModelResult {
    ModelResult(
        provider: provider, model: model, success: success, reason: reason, latencySeconds: latency, source: source,
        timestamp: time)
}

@Suite struct ResultWindowTests {
    @Test func expiresResultsOlderThanTheWindow() {
        var window = ResultWindow(lengthSeconds: 300)
        window.append(result("a", at: 1000))
        window.append(result("a", at: 1100))
        window.append(result("a", at: 1200))
        window.expire(now: 1300)
        #expect(window.count == 3)
        window.expire(now: 1350)
        #expect(window.count == 2)
        window.expire(now: 1600)
        #expect(window.count == 0)
    }

    @Test func keepsTimeOrderForLateResults() {
        var window = ResultWindow(lengthSeconds: 300)
        window.append(result("a", at: 1000))
        window.append(result("a", at: 1200))
        window.append(result("b", at: 1100))
        #expect(window.entries.map(\.timestamp) == [1000, 1100, 1200])
    }

    @Test func compactsAfterManyExpiries() {
        var window = ResultWindow(lengthSeconds: 10)
        for i in 0..<20_000 { window.append(result("a", at: Double(i))) }
        window.expire(now: 20_000)
        #expect(window.count == 10)
        #expect(window.entries.first?.timestamp == 19_990)
    }

    @Test func retainModelsDropsRemovedModelsOnly() {
        var window = ResultWindow(lengthSeconds: 300)
        window.append(result("a", at: 1))
        window.append(result("b", at: 2))
        window.append(result("a", at: 3))
        window.retainModels(["a"])
        #expect(window.count == 2)
        #expect(window.models == ["a"])
    }
}

@Suite struct RollupTests {
    let score = ScoreSettings()
    let thresholds = StatusThresholds()

    func roll(_ results: [ModelResult], models: [String] = ["a", "b"], breaker: CircuitBreaker = CircuitBreaker(), now: Double = 1000, rateLimit: RateLimitSnapshot? = nil) -> ProviderRollup {
        var window = ResultWindow(lengthSeconds: 300)
        for r in results { window.append(r) }
        window.expire(now: now)
        return rollUp(
            provider: "p", window: window, configuredModels: models, breaker: breaker, now: now, rateLimit: rateLimit,
            score: score, thresholds: thresholds)
    }

    @Test func emptyWindowIsDownWithZeroErrorRate() {
        let rollup = roll([])
        #expect(!rollup.available)
        #expect(rollup.errorRate == 0)
        #expect(rollup.modelsTotal == 2)
        #expect(rollup.modelsAvailable == 0)
        #expect(rollup.status == .down)
        #expect(rollup.p95LatencySeconds == nil)
    }

    @Test func availableWhenAnyModelsLatestResultSucceeded() {
        let rollup = roll([
            result("a", success: true, at: 900), result("a", success: false, at: 950, reason: .timeout),
            result("b", success: false, at: 900, reason: .http5xx), result("b", success: true, at: 960),
        ])
        #expect(rollup.available)
        #expect(rollup.modelsAvailable == 1)
        #expect(rollup.models.map(\.available) == [false, true])
        #expect(rollup.errorRate == 0.5)
        #expect(rollup.status == .degraded)
    }

    // A stray 500 or 429 among successes is an error, not an outage: the model stays available, so a flaky
    // provider is degraded (or rate_limited right after a 429), never down for a cycle after each failure.
    @Test func aStray5xxOr429AmongSuccessesKeepsTheModelAvailable() {
        let after5xx = roll(
            [result("a", at: 900), result("a", at: 910), result("a", success: false, at: 920, reason: .http5xx)],
            models: ["a"])
        #expect(after5xx.available)
        #expect(after5xx.models.map(\.available) == [true])
        #expect(after5xx.status == .degraded)

        let after429 = roll(
            [result("a", at: 900), result("a", success: false, at: 910, reason: .rateLimited)], models: ["a"])
        #expect(after429.available)
        #expect(after429.status == .rateLimited)
    }

    @Test func retryableFailuresMakeAModelUnavailableOnceAsManyAsOpenTheBreaker() {
        func afterFailures(_ count: Int, breaker: CircuitBreaker = CircuitBreaker()) -> ProviderRollup {
            var results = [result("a", at: 900)]
            for i in 0..<count {
                results.append(result("a", success: false, at: 901 + Double(i), reason: i % 2 == 0 ? .http5xx : .rateLimited))
            }
            return roll(results, models: ["a"], breaker: breaker)
        }
        #expect(afterFailures(4).available)
        #expect(!afterFailures(5).available)
        var sensitive = BreakerSettings()
        sensitive.failureThreshold = 2
        #expect(afterFailures(1, breaker: CircuitBreaker(settings: sensitive)).available)
        #expect(!afterFailures(2, breaker: CircuitBreaker(settings: sensitive)).available)
        // A threshold of 1: any failure, as before.
        sensitive.failureThreshold = 1
        #expect(!afterFailures(1, breaker: CircuitBreaker(settings: sensitive)).available)
    }

    @Test func failuresThatAreNotRetryableMakeAModelUnavailableAtOnce() {
        for reason in [FailureReason.timeout, .connect, .dns, .tls, .badResponse, .modelMissing, .http4xx, .auth] {
            let rollup = roll([result("a", at: 900), result("a", success: false, at: 950, reason: reason)], models: ["a"])
            #expect(!rollup.available, "\(reason)")
            #expect(rollup.status == (reason == .auth ? .unauthorized : .down), "\(reason)")
        }
    }

    @Test func retryableFailuresWithoutAnEarlierSuccessAreUnavailable() {
        // Never seen working in the window: not available.
        #expect(!roll([result("a", success: false, at: 950, reason: .http5xx)], models: ["a"]).available)
        // A 500 after a refused connection does not bring the model back.
        let rollup = roll(
            [result("a", at: 900), result("a", success: false, at: 910, reason: .connect),
             result("a", success: false, at: 920, reason: .http5xx)], models: ["a"])
        #expect(!rollup.available)
        #expect(rollup.status == .down)
    }

    // The truth run's injected behaviour (integration/chaos/truth.py): a deck of 10 answers, 2 × 500 never
    // adjacent and 1 × 429, dealt once a second into a 60 s window. Rolled up after every result, it is
    // degraded or rate_limited with a 30 % error rate, never down.
    @Test func theTruthRunsDeckIsNeverDown() {
        let deck: [FailureReason?] = [nil, .http5xx, nil, nil, .rateLimited, nil, .http5xx, nil, nil, nil]
        var window = ResultWindow(lengthSeconds: 60)
        var seen: Set<ProviderStatus> = []
        for i in 0..<600 {
            let reason = deck[i % deck.count]
            let now = 1000 + Double(i)
            window.append(result("a", success: reason == nil, latency: 0.3, at: now, reason: reason))
            window.expire(now: now + 0.5)
            let rollup = rollUp(
                provider: "p", window: window, configuredModels: ["a"], breaker: CircuitBreaker(), now: now + 0.5,
                rateLimit: nil, score: score, thresholds: thresholds)
            seen.insert(rollup.status)
            #expect(rollup.status != .down, "after result \(i)")
            if i >= 60 { #expect(abs(rollup.errorRate - 0.3) <= 0.02, "after result \(i)") }
        }
        #expect(seen == [.healthy, .degraded, .rateLimited])  // healthy only after the first result
    }

    @Test func errorRateCountsEverySourceInTheWindow() {
        var results: [ModelResult] = []
        for i in 0..<100 {
            results.append(result("a", success: i % 10 != 0, at: 900 + Double(i) * 0.5, reason: .http5xx, source: i % 2 == 0 ? .probe : .traffic))
        }
        results.append(result("a", success: true, at: 999))
        let rollup = roll(results, models: ["a"])
        #expect(abs(rollup.errorRate - 10.0 / 101.0) < 1e-12)
    }

    @Test func expiredResultsDoNotCount() {
        let rollup = roll([result("a", success: false, at: 100, reason: .timeout), result("a", at: 990)], models: ["a"])
        #expect(rollup.results == 1)
        #expect(rollup.errorRate == 0)
        #expect(rollup.status == .healthy)
    }

    @Test func quantilesAndScoreFollowTheLatencies() {
        let latencies = (1...100).map { Double($0) / 10 }  // 0.1 ... 10.0
        let rollup = roll(latencies.enumerated().map { result("a", latency: $1, at: 900 + Double($0)) }, models: ["a"])
        #expect(rollup.p50LatencySeconds == 5.0)
        #expect(rollup.p95LatencySeconds == 9.5)
        #expect(rollup.p99LatencySeconds == 9.9)
        #expect(abs(rollup.latencyScore - 0.0625) < 1e-9)  // (10 - 9.5) / 8
        #expect(abs(rollup.healthScore - (0.4 + 0.3 + 0.3 * 0.0625)) < 1e-9)
        #expect(rollup.status == .degraded)  // p95 above 1 s
    }

    @Test func openBreakerMeansDown() {
        var breaker = CircuitBreaker()
        for _ in 1...5 { breaker.recordFailure(at: 990) }
        let rollup = roll([result("a", at: 995)], models: ["a"], breaker: breaker)
        #expect(rollup.breakerState == .open)
        #expect(rollup.status == .down)
        #expect(rollup.consecutiveFailures == 5)
    }

    @Test func lowRemainingRateLimitIsRateLimited() {
        let limits = RateLimitSnapshot(requestsRemaining: 5, requestsLimit: 100)
        let rollup = roll([result("a", at: 995)], models: ["a"], rateLimit: limits)
        #expect(rollup.status == .rateLimited)
    }

    @Test func trafficOnlyModelsAreReportedAfterConfiguredOnes() {
        let rollup = roll([result("z", at: 995, source: .traffic), result("a", at: 996)], models: ["a"])
        #expect(rollup.models.map(\.name) == ["a", "z"])
    }

    @Test func bestProviderIsHealthyWithHighestScoreTiesByP95() {
        func make(_ name: String, _ status: ProviderStatus, _ score: Double, _ p95: Double) -> ProviderRollup {
            var r = roll([], models: ["a"])
            r.provider = name
            r.status = status
            r.healthScore = score
            r.p95LatencySeconds = p95
            return r
        }
        let choice = chooseBestProvider([
            make("slow", .healthy, 0.9, 0.8), make("fast", .healthy, 0.9, 0.2), make("best-but-down", .down, 1, 0.1),
            make("low", .healthy, 0.5, 0.1),
        ])
        #expect(choice.best == "fast")
        #expect(choice.alternatives == ["slow", "low"])
        #expect(chooseBestProvider([make("x", .degraded, 1, 0.1)]).best == nil)
    }
}

@Suite struct ProbeBudgetTests {
    @Test func capsProbesPerRollingHour() {
        var budget = ProbeBudget(maxPerHour: 3)
        for t in [0.0, 10, 20] {
            #expect(budget.allows(at: t))
            budget.record(requests: 1, at: t)
        }
        #expect(!budget.allows(at: 30))
        #expect(budget.nextAllowed(at: 30) == 3600)
        #expect(budget.allows(at: 3600.5))
    }

    @Test func honoursRetryAfter() {
        var budget = ProbeBudget(maxPerHour: 100)
        budget.backOff(seconds: 30, from: 100)
        #expect(!budget.allows(at: 129))
        #expect(budget.allows(at: 130))
        budget.backOff(seconds: 1e9, from: 100)
        #expect(budget.nextAllowed(at: 100) == 3700)
    }
}

@Suite struct LatencyHistogramTests {
    @Test func countsCumulativelyWithInfBucketInCount() {
        var h = LatencyHistogram(bounds: [0.1, 1, 10])
        for v in [0.05, 0.1, 0.5, 2, 20] { h.observe(v) }
        #expect(h.cumulativeCounts == [2, 3, 4])
        #expect(h.count == 5)
        #expect(abs(h.sum - 22.65) < 1e-9)
    }
}

@Suite struct ProviderTrackerTests {
    @Test func statusChangesAreCounted() {
        let settings = ProviderSettings(name: "p", kind: .openai, baseURL: "http://x", models: [ModelSettings(name: "a")])
        var tracker = ProviderTracker(settings: settings, global: GlobalSettings())
        let first = tracker.aggregate(now: 1000, score: ScoreSettings())
        #expect(first.rollup.status == .down)
        #expect(first.changedFrom == .some(nil))
        tracker.record(result("a", at: 1001))
        let second = tracker.aggregate(now: 1002, score: ScoreSettings())
        #expect(second.rollup.status == .healthy)
        #expect(second.changedFrom == .some(.down))
        let third = tracker.aggregate(now: 1003, score: ScoreSettings())
        #expect(third.changedFrom == nil)
        #expect(tracker.statusChanges == [.down: 1, .healthy: 1])
    }

    @Test func reconfigureKeepsCountersAndUnchangedModels() {
        let settings = ProviderSettings(name: "p", kind: .openai, baseURL: "http://x", models: [ModelSettings(name: "a"), ModelSettings(name: "b")])
        var tracker = ProviderTracker(settings: settings, global: GlobalSettings())
        tracker.record(result("a", at: 1))
        tracker.record(result("b", at: 2))
        var changed = settings
        changed.models = [ModelSettings(name: "a")]
        tracker.reconfigure(changed)
        #expect(tracker.resultsTotal[.probe] == 2)
        #expect(tracker.window.models == ["a"])
        #expect(tracker.modelHistograms.keys.sorted() == ["a"])
    }
}

@Suite struct DurationTests {
    @Test func parsesPrometheusDurations() {
        #expect(parseDuration("30s") == 30)
        #expect(parseDuration("5m") == 300)
        #expect(parseDuration("1m30s") == 90)
        #expect(parseDuration("500ms") == 0.5)
        #expect(parseDuration("2") == 2)
        #expect(parseDuration("abc") == nil)
        #expect(parseDuration("5x") == nil)
        #expect(parseDuration("") == nil)
        #expect(formatDuration(90) == "1m30s")
        #expect(formatDuration(0.25) == "250ms")
    }

    /// Found by the config fuzz target (a seed input): 400 digits overflowed to an infinite duration.
    @Test func durationTooLongForADoubleIsRefused() {
        #expect(parseDuration(String(repeating: "9", count: 400) + "s") == nil)
        #expect(parseDuration("1" + String(repeating: "0", count: 306) + "y") == nil)
        #expect(parseDuration("1" + String(repeating: "0", count: 300) + "s") == 1e300)
    }

    /// Found by the config fuzz target (a seed input): seconds past Int.max trapped in the conversion to Int.
    @Test func formattingHugeDurationsDoesNotTrap() {
        #expect(formatDuration(1e19) == "1e+19s")
        #expect(formatDuration(.infinity) == "infs")
        #expect(formatDuration(9e15) == "2500000000000h")
    }
}

@Suite struct ShardTests {
    @Test func parsesIndexOverCount() {
        #expect(Shard("0/3") == Shard("0/3"))
        #expect(Shard("2/3")?.index == 2)
        #expect(Shard("3/3") == nil)
        #expect(Shard("-1/3") == nil)
        #expect(Shard("1/0") == nil)
        #expect(Shard("x") == nil)
    }

    @Test func everyProviderHasExactlyOneShard() {
        let names = (0..<500).map { "provider-\($0)" } + ["openai", "ünïcødé", "a\"b"]
        let shards = (0..<4).compactMap { Shard("\($0)/4") }
        var perShard = [0, 0, 0, 0]
        for name in names {
            let owners = shards.filter { $0.owns(name) }
            #expect(owners.count == 1, "\(name)")
            perShard[owners.first?.index ?? 0] += 1
        }
        // A stable hash spreads 503 names roughly evenly.
        #expect(perShard.allSatisfy { $0 > 80 })
        #expect(Shard("0/1")!.owns("anything"))
    }
}
