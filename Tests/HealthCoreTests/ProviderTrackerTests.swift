import Testing
import TestSupport

@testable import HealthCore

@Suite struct ProviderTrackerTests {
    func settings(
        models: [String] = ["a"], interval: Double = 60, completion: Bool = false
    ) -> ProviderSettings {
        ProviderSettings(
            name: "p", kind: ProviderKind(rawValue: "openai"), baseURL: "http://x", models: models.map { ModelSettings(name: $0) },
            intervalSeconds: interval, completionProbe: completion)
    }

    func outcome(
        _ s: ProviderSettings, at time: Double, reason: FailureReason? = nil, latency: Double = 0.1,
        rateLimit: RateLimitSnapshot? = nil
    ) -> ProbeOutcome {
        ProbeOutcome(
            provider: s.name,
            results: s.modelNames.map { result($0, latency: latency, at: time, reason: reason) },
            providerReachable: reason?.providerAnswered ?? true, reason: reason, rateLimit: rateLimit,
            requestsSent: 1, checkLatencySeconds: latency, timestamp: time)
    }

    @Test func statusChangesAreCountedAfterTheHold() {
        let s = settings()
        var tracker = ProviderTracker(settings: s, global: GlobalSettings())
        let first = tracker.aggregate(now: 1000, score: ScoreSettings(), holdCycles: 2)
        #expect(first.report.rollup.status == .healthy)  // nothing known yet: never down for lack of results
        #expect(first.changedFrom == .some(nil))
        for i in 0..<10 {
            let reason: FailureReason? = i % 3 == 1 ? .http5xx : nil
            tracker.record(outcome(s, at: 1001 + Double(i), reason: reason), completedAt: 1001 + Double(i))
        }
        let held = tracker.aggregate(now: 1011, score: ScoreSettings(), holdCycles: 2)
        #expect(held.report.rollup.candidate == .degraded)
        #expect(held.report.rollup.status == .healthy)
        #expect(held.changedFrom == nil)
        let changed = tracker.aggregate(now: 1012, score: ScoreSettings(), holdCycles: 2)
        #expect(changed.report.rollup.status == .degraded)
        #expect(changed.changedFrom == .some(.healthy))
        #expect(tracker.statusChanges == [.healthy: 1, .degraded: 1])
    }

    /// A broken egress proxy says nothing about the provider: a healthy provider stays healthy (no outage, no
    /// breaker, no error rate, no latency), while the failures are counted and the last error shows them.
    @Test func proxyFailuresAreCountedButAreNoEvidenceAboutTheProvider() {
        let s = settings()
        var tracker = ProviderTracker(settings: s, global: GlobalSettings())
        for i in 0..<5 { tracker.record(outcome(s, at: 1000 + Double(i)), completedAt: 1000 + Double(i)) }
        for i in 0..<30 {
            var blocked = outcome(s, at: 1010 + Double(i), reason: .proxy, latency: 10)
            blocked.error = "proxy: connection refused"
            blocked.results = blocked.results.map { var r = $0; r.error = "proxy: connection refused"; return r }
            tracker.record(blocked, completedAt: 1010 + Double(i))
        }
        let report = tracker.aggregate(now: 1040, score: ScoreSettings(), holdCycles: 1).report
        #expect(report.rollup.status == .healthy)
        #expect(report.rollup.conditions.isEmpty)
        #expect(report.rollup.failures == 0)
        #expect(report.rollup.breakerState == .closed)
        #expect(tracker.failuresTotal[FailureKey(source: .probe, reason: .proxy)] == 30)
        #expect(tracker.lastError == "proxy: connection refused")
        // The same failures as refused connections of the provider itself are an outage.
        var direct = ProviderTracker(settings: s, global: GlobalSettings())
        for i in 0..<30 { direct.record(outcome(s, at: 1010 + Double(i), reason: .connect), completedAt: 1010 + Double(i)) }
        #expect(direct.aggregate(now: 1040, score: ScoreSettings(), holdCycles: 1).report.rollup.status == .down)
    }

    /// With completion probes on, each model's result is its completion; the model-list check is still one request
    /// per probe, observed once and judged by its own threshold.
    @Test func theCheckIsObservedOncePerProbeEvenWithCompletionProbes() {
        let s = settings(models: ["a", "b"], completion: true)
        var tracker = ProviderTracker(settings: s, global: GlobalSettings())
        for i in 0..<5 {
            let t = Double(i) * 60
            let completions = s.modelNames.map { result($0, latency: 0.4, at: t, operation: .chat) }
            tracker.record(
                ProbeOutcome(provider: "p", results: completions, providerReachable: true, requestsSent: 3,
                             checkLatencySeconds: 1.5, timestamp: t),
                completedAt: t)
        }
        let list = LatencySeries(source: .probe, operation: .listModels)
        let chat = LatencySeries(source: .probe, operation: .chat)
        #expect(tracker.histograms[list]?.count == 5)
        #expect(tracker.histograms[chat]?.count == 10)
        let rollup = tracker.aggregate(now: 250, score: ScoreSettings(), holdCycles: 2).report.rollup
        #expect(rollup.probeP95LatencySeconds == [.listModels: 1.5, .chat: 0.4])
        #expect(rollup.conditions == [.latency])  // the model list is slower than its 1 s threshold
    }

    /// A failure that waits for its confirmation holds the status back: `degraded` on the way to `down` would be one
    /// change too many.
    @Test func theStatusWaitsForAConfirmation() {
        let s = settings(models: ["a"], interval: 60)
        var tracker = ProviderTracker(settings: s, global: GlobalSettings())
        for i in 0..<4 { tracker.record(outcome(s, at: Double(i) * 60), completedAt: Double(i) * 60) }
        #expect(tracker.aggregate(now: 240, score: ScoreSettings(), holdCycles: 1).report.rollup.status == .healthy)
        var now = 240.0
        tracker.record(outcome(s, at: now, reason: .http5xx), completedAt: now)
        var reported: [ProviderStatus] = []
        while tracker.awaitsConfirmation {
            reported.append(tracker.aggregate(now: now + 1, score: ScoreSettings(), holdCycles: 1).report.rollup.status)
            now = tracker.nextProbeDue()
            tracker.record(outcome(s, at: now, reason: .http5xx), completedAt: now)
        }
        reported.append(tracker.aggregate(now: now + 1, score: ScoreSettings(), holdCycles: 1).report.rollup.status)
        #expect(reported.count > 2)
        #expect(reported.dropLast().allSatisfy { $0 == .healthy })
        #expect(reported.last == .down)
        #expect(tracker.statusChanges == [.healthy: 1, .down: 1])
    }

    @Test func latencyIsKeptPerSourceAndOperationAndPerModelOnlyForWhatIsAboutOneModel() {
        let s = settings(models: ["a", "b"], completion: true)
        var tracker = ProviderTracker(settings: s, global: GlobalSettings())
        let known = LatencySeries(source: .probe, operation: .listModels)
        let completions = LatencySeries(source: .probe, operation: .chat)
        let traffic = LatencySeries(source: .traffic, operation: .chat)
        #expect(Set(tracker.histograms.keys) == [known, completions])
        #expect(Set(tracker.modelHistograms["a"]?.keys ?? [:].keys) == [completions])
        tracker.record(result("a", latency: 0.1, at: 1, operation: .listModels))
        tracker.record(result("a", latency: 30, at: 2, operation: .chat))
        tracker.record(result("b", latency: 45, at: 3, source: .traffic))
        #expect(tracker.histograms[known]?.count == 1)
        #expect(tracker.histograms[completions]?.count == 1)
        #expect(tracker.histograms[traffic]?.count == 1)
        #expect(tracker.modelHistograms["a"]?[completions]?.count == 1)
        #expect(tracker.modelHistograms["a"]?[known] == nil)
        #expect(tracker.modelHistograms["b"]?[traffic]?.count == 1)
        // A 30 s completion lands in a finite bucket of the default (OpenTelemetry GenAI) boundaries.
        let counts = tracker.histograms[completions]!.cumulativeCounts
        #expect(counts.last == 1)
        #expect(tracker.latencyBuckets.last == 81.92)
    }

    @Test func timeToFirstTokenIsObservedOnlyForResultsThatCarryIt() {
        var tracker = ProviderTracker(settings: settings(models: ["a"], completion: false), global: GlobalSettings())
        let traffic = LatencySeries(source: .traffic, operation: .chat)
        #expect(tracker.firstTokenHistograms.isEmpty)
        var streamed = ModelResult(provider: "p", model: "a", success: true, latencySeconds: 4, source: .traffic, timestamp: 1)
        streamed.timeToFirstTokenSeconds = 0.35
        tracker.record(streamed)
        tracker.record(ModelResult(provider: "p", model: "b", success: true, latencySeconds: 2, source: .traffic, timestamp: 2))
        #expect(tracker.firstTokenHistograms[traffic]?.count == 1)
        #expect(tracker.firstTokenHistograms[traffic]?.sum == 0.35)
        #expect(tracker.histograms[traffic]?.count == 2)
        #expect(tracker.modelFirstTokenHistograms["a"]?[traffic]?.count == 1)
        #expect(tracker.modelFirstTokenHistograms["b"] == nil)
    }

    @Test func reconfigureKeepsCountersAndUnchangedModels() {
        let s = settings(models: ["a", "b"], completion: true)
        var tracker = ProviderTracker(settings: s, global: GlobalSettings())
        tracker.record(result("a", at: 1))
        tracker.record(result("b", at: 2, reason: .timeout))
        var changed = s
        changed.models = [ModelSettings(name: "a")]
        tracker.reconfigure(changed)
        #expect(tracker.resultsTotal[.probe] == 2)
        #expect(tracker.window.models == ["a"])
        #expect(tracker.modelHistograms.keys.sorted() == ["a"])
        #expect(tracker.evidence.keys.sorted() == ["a"])
    }

    /// A provider answering 429 with `retry-after: 900`: probing pauses, the window empties, and it stays
    /// rate_limited — never down for lack of results.
    @Test func aLongRetryAfterIsRateLimitedThroughoutNeverDown() {
        let s = settings(interval: 60)
        var tracker = ProviderTracker(settings: s, global: GlobalSettings())
        var seen: Set<ProviderStatus> = []
        var now = 1000.0
        while now < 1000 + 20 * 60 {
            if tracker.nextProbeDue() <= now {
                tracker.record(
                    outcome(s, at: now, reason: .rateLimited, rateLimit: RateLimitSnapshot(retryAfterSeconds: 900)),
                    completedAt: now)
            }
            let rollup = tracker.aggregate(now: now, score: ScoreSettings(), holdCycles: 2).report.rollup
            seen.insert(rollup.status)
            if now > 1000 + 400, now < 1000 + 900 { #expect(rollup.conditions == [.noResults, .retryAfter]) }
            now += 30
        }
        #expect(seen == [.rateLimited])
        #expect(tracker.probeRequestsTotal == 2)  // at 0 and after the 900 s wait
    }

    @Test func aRetryAfterNoLongerThanTheIntervalIsOrdinaryBackPressure() {
        let s = settings(interval: 60)
        var tracker = ProviderTracker(settings: s, global: GlobalSettings())
        tracker.record(
            outcome(s, at: 1000, reason: .rateLimited, rateLimit: RateLimitSnapshot(retryAfterSeconds: 20)),
            completedAt: 1000)
        #expect(!tracker.quotaPauseInForce(at: 1001))
        // A retry-after on a 503 is a wait, but not a quota: it pauses probing without saying rate_limited.
        tracker.record(
            outcome(s, at: 1100, reason: .http5xx, rateLimit: RateLimitSnapshot(retryAfterSeconds: 600)),
            completedAt: 1100)
        #expect(!tracker.quotaPauseInForce(at: 1101))
        #expect(tracker.nextProbeDue() >= 1700)
    }

    @Test func aFailedCheckIsConfirmedWithinOneIntervalWithoutFeedingTheBreaker() {
        let s = settings(models: ["a", "b"], interval: 60)
        var tracker = ProviderTracker(settings: s, global: GlobalSettings())
        for i in 0..<50 { tracker.record(outcome(s, at: Double(i) * 60), completedAt: Double(i) * 60) }
        var now = 3000.0
        tracker.record(outcome(s, at: now, reason: .http5xx), completedAt: now)
        let required = tracker.evidence["a"]!.requiredRun
        #expect(tracker.awaitsConfirmation)
        #expect(tracker.confirmationDelay == 60 / Double(required))
        var probes = 1
        while tracker.awaitsConfirmation {
            now = tracker.nextProbeDue()
            tracker.record(outcome(s, at: now, reason: .http5xx), completedAt: now)
            probes += 1
        }
        #expect(probes == required)
        #expect(now - 3000 < 60)
        #expect(tracker.breaker.consecutiveFailures == 1)  // confirmations are not the breaker's business
        #expect(tracker.aggregate(now: now + 1, score: ScoreSettings(), holdCycles: 2).report.rollup.status == .down)
        // Down: back to the regular cadence.
        #expect(tracker.nextProbeDue() == now + 60)
    }

    /// A gateway reporting a burst of failures (hundreds in a second) between two cycles: an outage in the traffic
    /// must hold for the cycles like any other status; the same seen by the probes is reported at once.
    @Test func anOutageSeenOnlyInTrafficHolds() {
        let s = settings(models: ["a"])
        var tracker = ProviderTracker(settings: s, global: GlobalSettings())
        for i in 0..<30 { tracker.record(result("a", at: Double(i), source: .traffic)) }
        #expect(tracker.aggregate(now: 30, score: ScoreSettings(), holdCycles: 2).report.rollup.status == .healthy)
        for i in 0..<200 { tracker.record(result("a", at: 31 + Double(i) / 200, reason: .http5xx, source: .traffic)) }
        let burst = tracker.aggregate(now: 32, score: ScoreSettings(), holdCycles: 2).report.rollup
        #expect(burst.candidate == .down)
        #expect(!burst.outageSeenByProbes)
        #expect(burst.status == .healthy)
        tracker.record(result("a", at: 33, source: .traffic))
        #expect(tracker.aggregate(now: 34, score: ScoreSettings(), holdCycles: 2).report.rollup.status == .healthy)

        var probed = ProviderTracker(settings: s, global: GlobalSettings())
        for i in 0..<30 { probed.record(outcome(s, at: Double(i)), completedAt: Double(i)) }
        _ = probed.aggregate(now: 30, score: ScoreSettings(), holdCycles: 2)
        for i in 0..<8 { probed.record(outcome(s, at: 31 + Double(i) / 10, reason: .connect), completedAt: 31) }
        let outage = probed.aggregate(now: 32, score: ScoreSettings(), holdCycles: 2).report.rollup
        #expect(outage.outageSeenByProbes)
        #expect(outage.status == .down)
    }

    @Test func aRefusedConnectionIsConfirmedAtOnce() {
        let s = settings(interval: 60)
        var tracker = ProviderTracker(settings: s, global: GlobalSettings())
        tracker.record(outcome(s, at: 100, reason: .connect), completedAt: 100)
        #expect(tracker.confirmationDelay == 0)
        #expect(tracker.nextProbeDue() == 100)
        // A 429 or a rejected key is an answer: nothing to confirm.
        tracker.record(outcome(s, at: 101, reason: .rateLimited), completedAt: 101)
        #expect(!tracker.awaitsConfirmation)
        tracker.record(outcome(s, at: 102, reason: .auth), completedAt: 102)
        #expect(!tracker.awaitsConfirmation)
    }

    /// The truth run's mix, drawn at random (seeded): 20 % 500, 10 % 429 with retry-after 1, probes every
    /// second, a 60 s window, a cycle every second, 10 minutes. Once the window is full the status holds still,
    /// and it is never down.
    @Test func aStationaryRandomMixGivesAStationaryStatus() {
        let s = settings(interval: 1)
        var global = GlobalSettings()
        global.windowSeconds = 60
        var tracker = ProviderTracker(settings: s, global: global)
        var generator = SeededGenerator(seed: 0x7207)
        var statuses: [ProviderStatus] = []
        var now = 0.0
        var nextCycle = 1.0
        while now < 600 {
            let due = tracker.nextProbeDue()
            if due <= now {
                let draw = Double.random(in: 0..<1, using: &generator)
                let reason: FailureReason? = draw < 0.2 ? .http5xx : draw < 0.3 ? .rateLimited : nil
                let limits = reason == .rateLimited ? RateLimitSnapshot(retryAfterSeconds: 1) : nil
                tracker.record(outcome(s, at: now, reason: reason, latency: 0.3, rateLimit: limits), completedAt: now + 0.3)
            }
            if now >= nextCycle {
                statuses.append(tracker.aggregate(now: now, score: ScoreSettings(), holdCycles: 2).report.rollup.status)
                nextCycle += 1
            }
            now += 0.05
        }
        let afterWindow = statuses.dropFirst(61)
        #expect(!statuses.contains(.down))
        #expect(Set(afterWindow) == [.degraded])
    }
}
