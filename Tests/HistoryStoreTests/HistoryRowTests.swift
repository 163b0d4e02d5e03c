import Foundation
import Testing

@testable import HealthCore
@testable import HistoryStore

@Suite struct HistoryRowTests {
    @Test func rollupsBecomeOneRowEachStampedWithTheCycle() {
        let rollup = ProviderRollup(
            provider: "groq", available: true, modelsAvailable: 2, modelsTotal: 3, errorRate: 0.25, results: 8,
            failures: 2, p50LatencySeconds: 0.3, p95LatencySeconds: 1.2, p99LatencySeconds: 1.9, latencyScore: 0.7,
            healthScore: 0.64, status: .rateLimited, breakerState: .halfOpen, consecutiveFailures: 1, rateLimit: nil,
            latestFailure: nil, models: []
        )
        var down = rollup
        down.provider = "mistral"
        down.available = false
        down.status = .down
        down.breakerState = .open
        down.p50LatencySeconds = nil
        down.p95LatencySeconds = nil

        let rows = historyRows(from: [rollup, down], at: 1_700_000_030)

        #expect(rows.count == 2)
        #expect(
            rows[0]
                == HistoryRow(
                    timestamp: 1_700_000_030, provider: "groq", status: "rate_limited", available: true,
                    healthScore: 0.64, errorRate: 0.25, p50LatencySeconds: 0.3, p95LatencySeconds: 1.2, results: 8,
                    modelsAvailable: 2, modelsTotal: 3, breakerState: "half_open"))
        #expect(rows[1].provider == "mistral")
        #expect(rows[1].status == "down")
        #expect(rows[1].breakerState == "open")
        #expect(!rows[1].available)
        #expect(rows[1].p50LatencySeconds == nil)
        #expect(rows[1].timestamp == 1_700_000_030)
    }

    @Test func noRollupsNoRows() {
        #expect(historyRows(from: [], at: 1).isEmpty)
    }

    @Test func nonFiniteNumbersAreReplacedBeforeStoring() {
        var nasty = row(10)
        nasty.healthScore = .nan
        nasty.errorRate = .infinity
        nasty.p50LatencySeconds = .nan
        nasty.p95LatencySeconds = -.infinity
        let clean = nasty.sanitized
        #expect(clean.healthScore == 0)
        #expect(clean.errorRate == 1)
        #expect(clean.p50LatencySeconds == nil)
        #expect(clean.p95LatencySeconds == nil)
        #expect(row(10).sanitized == row(10))
    }

    @Test func jsonKeysMatchTheCSVHeader() throws {
        let encoded = try JSONEncoder().encode(row(5))
        let object = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        #expect(Set(object.keys) == Set(historyCSVHeader.split(separator: ",").map(String.init)))
    }
}

