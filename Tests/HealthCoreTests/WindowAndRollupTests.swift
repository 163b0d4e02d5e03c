import Testing

@testable import HealthCore

/// A result; a failure when a reason is given.
func result(
    _ model: String, success: Bool? = nil, latency: Double = 0.1, at time: Double, reason: FailureReason? = nil,
    source: ResultSource = .probe, operation: OperationName? = nil, provider: String = "p"
) -> ModelResult {
    ModelResult(
        provider: provider, model: model, success: success ?? (reason == nil), reason: reason, latencySeconds: latency,
        source: source, operation: operation, timestamp: time)
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
        window.append(result("c", at: 1100))
        window.append(result("d", at: 900))
        window.expire(now: 1250)
        // In time order, equal times in arrival order.
        #expect(window.entries.map(\.timestamp) == [1000, 1100, 1100, 1200])
        #expect(window.entries.map { window.models[Int($0.modelIndex)] } == ["a", "b", "c", "a"])
    }

    @Test func manyLateResultsAreSortedOnceAtTheNextExpiry() {
        var window = ResultWindow(lengthSeconds: 1_000)
        var generator = SystemRandomNumberGenerator()
        // Overlapping batches: each 1,000 results in time order, each starting up to 2 s before the last ended.
        var start = 0.0
        var times: [Double] = []
        for _ in 0..<50 {
            for i in 0..<1_000 { times.append(start + Double(i) * 0.001) }
            start += 1 - Double.random(in: 0...2, using: &generator)
        }
        for t in times { window.append(result("a", at: 100 + t)) }
        window.expire(now: 200)
        #expect(window.entries.map(\.timestamp) == times.map { 100 + $0 }.sorted())
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
