import HealthCore
import Testing

@testable import OutcomeIngest

@Suite struct CheckBatchTests {
    func result(_ provider: String, _ model: String) -> ModelResult {
        ModelResult(provider: provider, model: model, success: true, latencySeconds: 0.1, source: .traffic,
            timestamp: testNow)
    }

    func check(
        _ results: [ModelResult], known: Set<String> = ["openai", "groq"], models: [String: Set<String>] = [:],
        limits: IngestLimits = IngestLimits()
    ) -> IngestRejection? {
        do {
            try checkBatch(results, knownProviders: known, modelsPerProvider: models, limits: limits)
            return nil
        } catch {
            return error
        }
    }

    @Test func knownProvidersPass() {
        #expect(check([result("openai", "a"), result("groq", "b"), result("openai", "a")]) == nil)
        #expect(check([]) == nil)
    }

    @Test func unknownProviderIs422() {
        let got = check([result("openai", "a"), result("mystery", "b")])
        #expect(got?.status == 422)
        #expect(got?.reason == "unknown_provider")
        #expect(got?.detail.contains(#""mystery""#) == true)
    }

    @Test func unknownProvidersPassWhenAccepted() {
        var limits = IngestLimits()
        limits.acceptUnknownProviders = true
        #expect(check([result("mystery", "b")], limits: limits) == nil)
    }

    @Test func tooManyModelsCountsKnownAndNewOnes() {
        var limits = IngestLimits()
        limits.maxModelsPerProvider = 3
        let existing: [String: Set<String>] = ["openai": ["a", "b"]]
        // One new model on top of two known ones: at the cap, fine; repeats and known ones do not count.
        #expect(check([result("openai", "a"), result("openai", "c"), result("openai", "c"), result("openai", "b")],
            models: existing, limits: limits) == nil)
        let got = check([result("openai", "c"), result("groq", "x"), result("openai", "d")], models: existing,
            limits: limits)
        #expect(got?.status == 422)
        #expect(got?.reason == "too_many_models")
        #expect(got?.detail == #"provider "openai" would have 4 distinct models, the limit is 3"#)
        // Other providers have their own count.
        #expect(check((0..<3).map { result("groq", "m\($0)") }, models: existing, limits: limits) == nil)
    }
}
