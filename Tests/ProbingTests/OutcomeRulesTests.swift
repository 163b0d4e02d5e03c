import Foundation
import HealthCore
import Probing
import Testing


@Suite struct OutcomeRulesTests {
    private func provider(_ models: [String]) -> ProviderSettings {
        ProviderSettings(name: "p", kind: .openai, baseURL: "http://x", models: models.map { ModelSettings(name: $0) })
    }

    @Test func failedProviderCheckFailsEveryModelAlike() {
        let failure = ProbeCheck.failed(.timeout, statusCode: nil, latencySeconds: 2, error: "timed out after 2.0s")
        let outcome = assembleOutcome(
            provider: provider(["a", "b"]), providerCheck: failure,
            modelChecks: ["a": .passed(statusCode: 200, latencySeconds: 0.1)], rateLimit: nil, requestsSent: 1,
            timestamp: 100)
        #expect(outcome.results.count == 2)
        #expect(outcome.results.allSatisfy {
            !$0.success && $0.reason == .timeout && $0.latencySeconds == 2 && $0.error == "timed out after 2.0s"
                && $0.timestamp == 100 && $0.source == .probe
        })
        #expect(!outcome.providerReachable)
        #expect(outcome.requestsSent == 1)
    }

    @Test func perModelChecksWhenTheProviderCheckPassed() {
        let outcome = assembleOutcome(
            provider: provider(["a", "b"]), providerCheck: .passed(statusCode: 200, latencySeconds: 0.2),
            modelChecks: [
                "a": .passed(statusCode: 200, latencySeconds: 0.5),
                "b": .failed(.modelMissing, statusCode: 200, latencySeconds: 0.2, error: "missing"),
            ], rateLimit: RateLimitSnapshot(requestsRemaining: 1, requestsLimit: 10), requestsSent: 2, timestamp: 0)
        #expect(outcome.results.map(\.model) == ["a", "b"])
        #expect(outcome.results[0].success && outcome.results[0].latencySeconds == 0.5)
        #expect(outcome.results[1].reason == .modelMissing)
        #expect(outcome.providerReachable)
        #expect(outcome.rateLimit?.requestsRemainingRatio == 0.1)
    }

    @Test func wholeAPIResultIsTheProviderCheck() {
        let outcome = assembleOutcome(
            provider: provider([]), providerCheck: .failed(.auth, statusCode: 401, latencySeconds: 0.1, error: "HTTP 401"),
            modelChecks: [:], rateLimit: nil, requestsSent: 1, timestamp: 0)
        #expect(outcome.results.map(\.model) == [wholeAPIModelName])
        #expect(outcome.results[0].reason == .auth)
        #expect(outcome.results[0].statusCode == 401)
        #expect(outcome.providerReachable)
    }

    @Test(arguments: [
        (FailureReason?.none, true), (.auth, true), (.rateLimited, true), (.http4xx, true),
        (.timeout, false), (.connect, false), (.dns, false), (.tls, false), (.http5xx, false), (.badResponse, false),
    ])
    func reachability(reason: FailureReason?, reachable: Bool) {
        #expect((reason?.providerAnswered ?? true) == reachable)
    }

    @Test func httpStatusesJudged() {
        func judge(_ status: Int) -> ProbeCheck {
            ProbeCheck.judging(
                .response(HTTPProbeResponse(statusCode: status, headers: [], body: []), latencySeconds: 0.1), secret: nil)
        }
        #expect(judge(200).success)
        #expect(judge(204).success)
        #expect(judge(401).reason == .auth)
        #expect(judge(403).reason == .auth)
        #expect(judge(402).reason == .rateLimited)
        #expect(judge(429).reason == .rateLimited)
        #expect(judge(404).reason == .http4xx)
        #expect(judge(503).reason == .http5xx)
        #expect(judge(503).error == "HTTP 503")
        #expect(judge(503).statusCode == 503)
        #expect(judge(302).reason == .badResponse, "a redirect the client did not follow")
        #expect(judge(302).error == "HTTP 302: redirect without a location")
    }

    @Test func catalogMatching() {
        let ollama = ModelCatalog(kind: .ollama, ids: ["llama3:latest", "qwen2.5:7b"])
        #expect(ollama.contains("llama3"))
        #expect(ollama.contains("llama3:latest"))
        #expect(ollama.contains("qwen2.5:7b"))
        #expect(!ollama.contains("qwen2.5"))
        #expect(!ollama.contains("llama3:8b"))

        let gemini = ModelCatalog(kind: .gemini, ids: ["models/gemini-2.0-flash"])
        #expect(gemini.contains("gemini-2.0-flash"))
        #expect(gemini.contains("models/gemini-2.0-flash"))
        #expect(!gemini.contains("gemini-2.0"))

        let openai = ModelCatalog(kind: .openai, ids: ["gpt-4o"])
        #expect(openai.contains("gpt-4o"))
        #expect(!openai.contains("gpt-4o:latest"))
        #expect(!openai.contains("GPT-4O"))
    }
}
