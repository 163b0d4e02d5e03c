import Testing

@testable import HealthCore

@Suite struct ScoreTests {
    let settings = ScoreSettings()

    @Test func latencyScoreIsOneAtOrBelowGoodBound() {
        #expect(latencyScore(latencySeconds: 0, settings: settings) == 1)
        #expect(latencyScore(latencySeconds: 1.999, settings: settings) == 1)
        #expect(latencyScore(latencySeconds: 2, settings: settings) == 1)
    }

    @Test func latencyScoreIsZeroAtOrAboveBadBound() {
        #expect(latencyScore(latencySeconds: 10, settings: settings) == 0)
        #expect(latencyScore(latencySeconds: 60, settings: settings) == 0)
        #expect(latencyScore(latencySeconds: .infinity, settings: settings) == 0)
        #expect(latencyScore(latencySeconds: .nan, settings: settings) == 0)
    }

    @Test(arguments: [(3.0, 0.875), (6.0, 0.5), (9.0, 0.125)])
    func latencyScoreInterpolatesLinearly(latency: Double, expected: Double) {
        #expect(abs(latencyScore(latencySeconds: latency, settings: settings) - expected) < 1e-12)
    }

    @Test func scoreAtItsBounds() {
        #expect(healthScore(availability: 1, errorRate: 0, latencyScore: 1, settings: settings) == 1)
        #expect(healthScore(availability: 0, errorRate: 1, latencyScore: 0, settings: settings) == 0)
    }

    @Test func scoreWeightsEachTerm() {
        #expect(abs(healthScore(availability: 1, errorRate: 1, latencyScore: 0, settings: settings) - 0.4) < 1e-12)
        #expect(abs(healthScore(availability: 0, errorRate: 0, latencyScore: 0, settings: settings) - 0.3) < 1e-12)
        #expect(abs(healthScore(availability: 0, errorRate: 1, latencyScore: 1, settings: settings) - 0.3) < 1e-12)
        #expect(abs(healthScore(availability: 1, errorRate: 0.5, latencyScore: 0.5, settings: settings) - 0.7) < 1e-12)
    }

    @Test func scoreClampsOutOfRangeInputs() {
        #expect(healthScore(availability: 2, errorRate: -1, latencyScore: 5, settings: settings) == 1)
        #expect(healthScore(availability: .nan, errorRate: .nan, latencyScore: .nan, settings: settings) == 0.3)
    }

    @Test func customWeightsAreNormalised() {
        var custom = ScoreSettings()
        custom.availabilityWeight = 2
        custom.errorRateWeight = 1
        custom.latencyWeight = 1
        #expect(abs(healthScore(availability: 1, errorRate: 1, latencyScore: 0, settings: custom) - 0.5) < 1e-12)
    }
}
