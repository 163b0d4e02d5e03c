import Testing

@testable import HealthCore

/// The roll-up alone: results go into a window and, in the same order, into each model's evidence, as the
/// tracker does; the conditions and the candidate status come out.
@Suite struct RollupTests {
    /// Evidence that has seen `cleanAnswers` successes of every model before the results (a quiet history).
    func roll(
        _ results: [ModelResult], models: [String] = ["a", "b"], cleanAnswers: Int = 100,
        breaker: CircuitBreaker = CircuitBreaker(), now: Double = 1000, rateLimit: RateLimitSnapshot? = nil,
        quotaPause: Bool = false, operations: [OperationName] = [.listModels],
        thresholds: StatusThresholds = StatusThresholds()
    ) -> ProviderRollup {
        var window = ResultWindow(lengthSeconds: 300)
        var evidence: [String: ModelEvidence] = [:]
        // The probe's check is one request per probe, however many models it covers: its latency once per moment.
        var checks: [TimedLatency] = []
        for r in results where r.source == .probe && r.operation == .listModels && r.timestamp > now - 300
            && checks.last?.timestamp != r.timestamp
        {
            checks.append(TimedLatency(timestamp: r.timestamp, seconds: r.latencySeconds))
        }
        for model in models {
            for _ in 0..<cleanAnswers { evidence[model, default: ModelEvidence()].observe(success: true, reason: nil, source: .probe) }
        }
        for r in results {
            window.append(r)
            evidence[r.model, default: ModelEvidence()].observe(success: r.success, reason: r.reason, source: r.source)
        }
        window.expire(now: now)
        return rollUp(
            provider: "p", window: window,
            context: RollupContext(
                configuredModels: models, evidence: evidence, checkLatencies: checks, breaker: breaker, rateLimit: rateLimit,
                quotaPauseInForce: quotaPause, probeOperations: operations, thresholds: thresholds),
            now: now)
    }

    /// `count` probes of every model, one per second from `start`, failing with `reason` where `fails` says.
    func probes(
        _ count: Int, models: [String] = ["a", "b"], start: Double = 900, latency: Double = 0.1,
        reason: FailureReason = .http5xx, fails: (Int) -> Bool = { _ in false }
    ) -> [ModelResult] {
        (0..<count).flatMap { i in
            models.map { result($0, latency: latency, at: start + Double(i), reason: fails(i) ? reason : nil) }
        }
    }

    @Test func anEmptyWindowSaysNothingNew() {
        let rollup = roll([])
        #expect(rollup.conditions == [.noResults])
        #expect(rollup.candidate == nil)
        #expect(rollup.available)
        #expect(rollup.errorRate == 0)
        #expect(rollup.modelsTotal == 2)
        #expect(rollup.p95LatencySeconds == nil)
    }

    @Test func aQuietProviderIsHealthy() {
        let rollup = roll(probes(5))
        #expect(rollup.conditions.isEmpty)
        #expect(rollup.candidate == .healthy)
        #expect(rollup.modelsAvailable == 2)
    }

    /// One stray failure is an error (it counts in the error rate), not a verdict: with five probes in the window
    /// (the default cadence) it is 20 % of the results, and still healthy.
    @Test func oneStrayFailureIsNeitherDownNorDegraded() {
        for reason in [FailureReason.http5xx, .timeout, .connect, .badResponse] {
            let rollup = roll(probes(5, reason: reason, fails: { $0 == 4 }))
            #expect(rollup.candidate == .healthy, "\(reason)")
            #expect(rollup.errorRate == 0.2)
            #expect(rollup.modelsAvailable == 2)
        }
    }

    /// ~1 % background errors with completion probes on three models: 40 requests a window (10 probes of a model
    /// list and three completions), two stray failures at different moments are 6.7 % of the results: above the
    /// threshold, not significantly. Five are.
    @Test func strayFailuresAmongManyRequestsAreNotAVerdict() {
        let models = ["a", "b", "c"]
        func window(failing: Set<Int>) -> [ModelResult] {
            (0..<10).flatMap { probe in
                models.enumerated().map { m, model in
                    let failed = failing.contains(probe * 3 + m)
                    return result(model, at: 900 + Double(probe), reason: failed ? .http5xx : nil, operation: .chat)
                }
            }
        }
        let two = roll(window(failing: [4, 20]), models: models, operations: [.listModels, .chat])
        #expect(two.errorRate > 0.05)
        #expect(two.candidate == .healthy)
        let five = roll(window(failing: [1, 7, 13, 20, 26]), models: models, operations: [.listModels, .chat])
        #expect(five.conditions == [.errorRate])
    }

    @Test func twoFailuresAboveTheThresholdDegrade() {
        let rollup = roll(probes(10, fails: { $0 == 3 || $0 == 7 }))
        #expect(rollup.conditions == [.errorRate])
        #expect(rollup.candidate == .degraded)
        var loose = StatusThresholds()
        loose.errorRate = 0.25
        #expect(roll(probes(10, fails: { $0 == 3 || $0 == 7 }), thresholds: loose).candidate == .healthy)
    }

    @Test func everyModelFailingLongEnoughIsAnOutage() {
        let required = roll([]).models[0].outageAfter
        let almost = roll(probes(5) + probes(required - 1, start: 950, reason: .timeout, fails: { _ in true }))
        #expect(almost.candidate == .degraded)  // the error rate is high, the run not yet long enough
        #expect(!almost.conditions.contains(.outage))
        let down = roll(probes(5) + probes(required, start: 950, reason: .timeout, fails: { _ in true }))
        #expect(down.conditions.contains(.outage))
        #expect(down.candidate == .down)
        #expect(!down.available)
        #expect(down.models.allSatisfy { !$0.available && $0.failuresInARow == required })
    }

    @Test func oneModelOutIsDegradedWithThatModelUnavailable() {
        let failing = probes(5, models: ["b"], start: 950, reason: .modelMissing, fails: { _ in true })
        let rollup = roll(probes(5, models: ["a"], start: 950) + failing)
        #expect(rollup.conditions.contains(.modelOutage))
        #expect(!rollup.conditions.contains(.outage))
        #expect(rollup.candidate == .degraded)
        #expect(rollup.models.map(\.available) == [true, false])
        #expect(rollup.available)
    }

    @Test func aRejectedKeyIsUnauthorizedAtOnce() {
        let rollup = roll(probes(5) + probes(1, start: 990, reason: .auth, fails: { _ in true }))
        #expect(rollup.conditions.contains(.unauthorized))
        #expect(rollup.candidate == .unauthorized)
        #expect(rollup.modelsAvailable == 0)
    }

    @Test func refusalsForQuotaAreRateLimitedWhenTheyAreMostAnswersNotOneInTen() {
        let cascade = roll(probes(4) + probes(5, start: 950, reason: .rateLimited, fails: { _ in true }))
        #expect(cascade.conditions.contains(.quotaRefusals))
        #expect(cascade.candidate == .rateLimited)
        #expect(cascade.available)  // it answers: quota is not an outage
        let stray = roll(probes(20, reason: .rateLimited, fails: { $0 % 10 == 9 }))
        #expect(!stray.conditions.contains(.quotaRefusals))
        // 2 refused probes of 20: 10 %, above the 5 % error threshold, but not significantly with 20 requests.
        #expect(stray.candidate == .healthy)
        #expect(roll(probes(20, reason: .rateLimited, fails: { $0 % 4 == 3 })).candidate == .degraded)
        let recovered = roll(probes(4, reason: .rateLimited, fails: { _ in true }) + probes(1, start: 990))
        #expect(!recovered.conditions.contains(.quotaRefusals))
    }

    @Test func aQuotaPauseOrLowRemainingIsRateLimited() {
        #expect(roll(probes(5), quotaPause: true).candidate == .rateLimited)
        #expect(roll([], quotaPause: true).candidate == .rateLimited)
        let low = RateLimitSnapshot(requestsRemaining: 5, requestsLimit: 100)
        #expect(roll(probes(5), rateLimit: low).conditions == [.quotaLow])
        let enough = RateLimitSnapshot(requestsRemaining: 10, requestsLimit: 100)
        #expect(roll(probes(5), rateLimit: enough).candidate == .healthy)
    }

    @Test func probeLatencyIsJudgedPerOperationWithTwoResultsAboveTheThreshold() {
        #expect(roll(probes(10, latency: 1.5)).conditions == [.latency])
        // One slow check among fast ones is not a verdict.
        let oneSlow = probes(9) + probes(1, start: 990, latency: 3)
        #expect(roll(oneSlow).candidate == .healthy)
        // A 5 s completion is within the completion threshold (10 s), a 12 s one is not.
        let completions = { (latency: Double) in
            (0..<5).map { result("a", latency: latency, at: 950 + Double($0), operation: .chat) } + self.probes(5, models: ["a"])
        }
        #expect(roll(completions(5), models: ["a"], operations: [.listModels, .chat]).candidate == .healthy)
        let slow = roll(completions(12), models: ["a"], operations: [.listModels, .chat])
        #expect(slow.conditions == [.latency])
        #expect(slow.probeP95LatencySeconds == [.listModels: 0.1, .chat: 12])
        // Traffic latency depends on what was asked: no threshold judges it.
        let traffic = (0..<10).map { result("a", latency: 60, at: 950 + Double($0), source: .traffic) }
        #expect(roll(traffic + probes(5, models: ["a"]), models: ["a"]).candidate == .healthy)
    }

    @Test func aBreakerThatIsNotClosedDegrades() {
        var breaker = CircuitBreaker()
        for _ in 1...5 { breaker.recordFailure(at: 900) }
        let open = roll(probes(5), breaker: breaker, now: 930)
        #expect(open.conditions == [.breaker])
        #expect(open.breakerState == .open)
        #expect(open.candidate == .degraded)
        #expect(roll(probes(5), breaker: breaker, now: 961).breakerState == .halfOpen)
    }

    @Test func errorRateCountsEverySourceInTheWindow() {
        var results: [ModelResult] = []
        for i in 0..<100 {
            results.append(
                result("a", at: 900 + Double(i) * 0.5, reason: i % 10 == 0 ? .http5xx : nil, source: i % 2 == 0 ? .probe : .traffic))
        }
        results.append(result("a", at: 999))
        let rollup = roll(results, models: ["a"])
        #expect(abs(rollup.errorRate - 10.0 / 101.0) < 1e-12)
    }

    @Test func expiredResultsDoNotCount() {
        let rollup = roll([result("a", at: 100, reason: .timeout), result("a", at: 990)], models: ["a"])
        #expect(rollup.results == 1)
        #expect(rollup.errorRate == 0)
        #expect(rollup.candidate == .healthy)
    }

    @Test func quantilesAndScoreFollowTheLatencies() {
        let latencies = (1...100).map { Double($0) / 10 }  // 0.1 ... 10.0
        let rollup = roll(latencies.enumerated().map { result("a", latency: $1, at: 900 + Double($0)) }, models: ["a"])
        #expect(rollup.p50LatencySeconds == 5.0)
        #expect(rollup.p95LatencySeconds == 9.5)
        #expect(rollup.p99LatencySeconds == 9.9)
        #expect(abs(rollup.latencyScore - 0.0625) < 1e-9)  // (10 - 9.5) / 8
        #expect(abs(rollup.healthScore - (0.4 + 0.3 + 0.3 * 0.0625)) < 1e-9)
        #expect(rollup.candidate == .degraded)  // p95 of the check above 1 s
    }

    @Test func trafficOnlyModelsAreReportedAfterConfiguredOnes() {
        let rollup = roll([result("z", at: 995, source: .traffic), result("a", at: 996)], models: ["a"])
        #expect(rollup.models.map(\.name) == ["a", "z"])
    }

    @Test func bestProviderIsHealthyWithResultsAndTheHighestScoreTiesByP95() {
        func make(_ name: String, _ status: ProviderStatus, _ score: Double, _ p95: Double, results: Int = 5) -> ProviderRollup {
            var r = roll([], models: ["a"])
            r.provider = name
            r.status = status
            r.healthScore = score
            r.p95LatencySeconds = p95
            r.results = results
            return r
        }
        let choice = chooseBestProvider([
            make("slow", .healthy, 0.9, 0.8), make("fast", .healthy, 0.9, 0.2), make("best-but-down", .down, 1, 0.1),
            make("low", .healthy, 0.5, 0.1), make("never-heard-of", .healthy, 1, 0.01, results: 0),
        ])
        #expect(choice.best == "fast")
        #expect(choice.alternatives == ["slow", "low"])
        #expect(chooseBestProvider([make("x", .degraded, 1, 0.1)]).best == nil)
    }
}
