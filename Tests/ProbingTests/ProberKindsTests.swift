import HealthCore
import Probing
import ProviderSimulator
import Testing

private let key = "sk-test-key-0123456789"

extension NetworkTests {
    @Suite struct ProberKindsTests {
        @Test func openAICompatibleListsModelsWithBearerKey() async throws {
            let sim = SimulatedProvider(name: "groq", kind: .openai, models: ["llama-3.1-8b", "mixtral"], requiredKey: key)
            try await withSimulator([sim]) { server in
                let provider = settings(server, "groq", kind: .openai, models: ["llama-3.1-8b", "mixtral"])
                let outcome = try await probeOnce(provider, key: key)
                #expect(outcome.providerReachable)
                #expect(outcome.reason == nil)
                #expect(outcome.statusCode == 200)
                #expect(outcome.requestsSent == 1)
                #expect(outcome.results.map(\.model) == ["llama-3.1-8b", "mixtral"])
                #expect(outcome.results.allSatisfy { $0.success && $0.statusCode == 200 && $0.latencySeconds > 0 })
                #expect(header(server.lastRequestHeaders(for: "groq"), "authorization") == "Bearer " + key)
                #expect(server.lastRequest(for: "groq")?.uri.hasSuffix("/v1/models") == true)
                // The simulator reports healthy x-ratelimit-* headers.
                let ratio = try #require(outcome.rateLimit?.requestsRemainingRatio)
                #expect(ratio > 0.9)
            }
        }

        @Test func wholeAPIWhenNoModelsAreConfigured() async throws {
            try await withSimulator([SimulatedProvider(name: "plain", kind: .openai, models: ["a"])]) { server in
                let outcome = try await probeOnce(settings(server, "plain", kind: .openai))
                #expect(outcome.results.count == 1)
                #expect(outcome.results.first?.model == wholeAPIModelName)
                #expect(outcome.results.first?.success == true)
            }
        }

        @Test func modelMissingFromTheList() async throws {
            try await withSimulator([SimulatedProvider(name: "oa", kind: .openai, models: ["gpt-4o"])]) { server in
                let outcome = try await probeOnce(settings(server, "oa", kind: .openai, models: ["gpt-4o", "gpt-5-nope"]))
                #expect(outcome.providerReachable)
                let missing = try #require(outcome.results.first { $0.model == "gpt-5-nope" })
                #expect(!missing.success)
                #expect(missing.reason == .modelMissing)
                #expect(missing.statusCode == 200)
                #expect(outcome.results.first { $0.model == "gpt-4o" }?.success == true)
            }
        }

        @Test func openRouterSendsItsHeadersAndChecksTheKey() async throws {
            let sim = SimulatedProvider(name: "or", kind: .openrouter, models: ["openai/gpt-4o"], requiredKey: key)
            try await withSimulator([sim]) { server in
                let outcome = try await probeOnce(settings(server, "or", kind: .openrouter, models: ["openai/gpt-4o"]), key: key)
                #expect(outcome.results.first?.success == true)
                #expect(outcome.requestsSent == 2)
                #expect(server.requestCount(for: "or") == 2)
                let headers = server.lastRequestHeaders(for: "or")
                #expect(header(headers, "authorization") == "Bearer " + key)
                #expect(header(headers, "http-referer") != nil)
                #expect(header(headers, "x-title") == "provider-health-exporter")
            }
        }

        @Test func openRouterOutOfCreditIsRateLimited() async throws {
            let sim = SimulatedProvider(name: "broke", kind: .openrouter, models: ["m"], creditRemaining: 0)
            try await withSimulator([sim]) { server in
                let outcome = try await probeOnce(settings(server, "broke", kind: .openrouter, models: ["m"]))
                #expect(outcome.reason == .rateLimited)
                #expect(outcome.statusCode == 402)
                #expect(outcome.providerReachable)
                #expect(outcome.results.first?.reason == .rateLimited)
                #expect(outcome.results.first?.statusCode == 402)
            }
        }

        @Test func openRouterWithCreditLeftIsHealthy() async throws {
            let sim = SimulatedProvider(name: "funded", kind: .openrouter, models: ["m"], creditRemaining: 4.5)
            try await withSimulator([sim]) { server in
                let outcome = try await probeOnce(settings(server, "funded", kind: .openrouter, models: ["m"]))
                #expect(outcome.results.first?.success == true)
            }
        }

        @Test func anthropicUsesApiKeyAndVersionHeaders() async throws {
            let sim = SimulatedProvider(
                name: "claude", kind: .anthropic, models: ["claude-3-5-haiku", "claude-sonnet-4"], requiredKey: key)
            try await withSimulator([sim]) { server in
                let outcome = try await probeOnce(settings(server, "claude", kind: .anthropic, models: ["claude-sonnet-4"]), key: key)
                #expect(outcome.results.first?.success == true)
                let headers = server.lastRequestHeaders(for: "claude")
                #expect(header(headers, "x-api-key") == key)
                #expect(header(headers, "anthropic-version") == "2023-06-01")
                #expect(header(headers, "authorization") == nil)
                #expect(server.lastRequest(for: "claude")?.uri.hasSuffix("/v1/models?limit=1000") == true)
                #expect(outcome.rateLimit?.requestsLimit == 4000)
            }
        }

        @Test func anthropicFollowsPages() async throws {
            let models = (0..<2500).map { "claude-\($0)" }
            try await withSimulator([SimulatedProvider(name: "big", kind: .anthropic, models: models)]) { server in
                let outcome = try await probeOnce(settings(server, "big", kind: .anthropic, models: ["claude-2499", "claude-0"]))
                #expect(outcome.requestsSent == 3)
                #expect(outcome.results.allSatisfy { $0.success })
            }
        }

        @Test func geminiSendsTheKeyInAHeaderNeverInTheURL() async throws {
            let sim = SimulatedProvider(name: "gem", kind: .gemini, models: ["gemini-2.0-flash", "gemini-1.5-pro"], requiredKey: key)
            try await withSimulator([sim]) { server in
                let outcome = try await probeOnce(
                    settings(server, "gem", kind: .gemini, models: ["gemini-2.0-flash", "models/gemini-1.5-pro"]), key: key)
                #expect(outcome.results.count == 2)
                #expect(outcome.results.allSatisfy { $0.success })
                let request = try #require(server.lastRequest(for: "gem"))
                #expect(header(request.headers, "x-goog-api-key") == key)
                #expect(!request.uri.contains(key))
                #expect(!request.uri.contains("key="))
                #expect(request.uri.contains("pageSize=1000"))
            }
        }

        @Test func geminiFollowsPageTokens() async throws {
            let models = (0..<2100).map { "gemini-\($0)" }
            try await withSimulator([SimulatedProvider(name: "g", kind: .gemini, models: models)]) { server in
                let outcome = try await probeOnce(settings(server, "g", kind: .gemini, models: ["gemini-2099", "gemini-9999"]))
                #expect(outcome.requestsSent == 3)
                #expect(outcome.results.first { $0.model == "gemini-2099" }?.success == true)
                #expect(outcome.results.first { $0.model == "gemini-9999" }?.reason == .modelMissing)
            }
        }

        @Test func geminiInvalidKeyIsAnAuthFailure() async throws {
            try await withSimulator([SimulatedProvider(name: "g", kind: .gemini, models: ["x"], behaviour: .unauthorized)]) {
                server in
                let outcome = try await probeOnce(settings(server, "g", kind: .gemini, models: ["x"]))
                #expect(outcome.reason == .auth)
                #expect(outcome.providerReachable)
            }
        }

        @Test func ollamaNeedsNoKeyAndMatchesLatestTag() async throws {
            let sim = SimulatedProvider(name: "local", kind: .ollama, models: ["llama3:latest", "qwen2.5:7b"])
            try await withSimulator([sim]) { server in
                let outcome = try await probeOnce(
                    settings(server, "local", kind: .ollama, models: ["llama3", "qwen2.5:7b", "qwen2.5"]), key: nil)
                #expect(outcome.results.first { $0.model == "llama3" }?.success == true)
                #expect(outcome.results.first { $0.model == "qwen2.5:7b" }?.success == true)
                #expect(outcome.results.first { $0.model == "qwen2.5" }?.reason == .modelMissing)
                #expect(header(server.lastRequestHeaders(for: "local"), "authorization") == nil)
                #expect(server.lastRequest(for: "local")?.uri.hasSuffix("/api/tags") == true)
            }
        }

        @Test func huggingFaceChecksTokenThenEachModel() async throws {
            let sim = SimulatedProvider(
                name: "hf", kind: .huggingface, models: ["meta-llama/Llama-3.1-8B", "mistralai/Mistral-7B"], requiredKey: key)
            try await withSimulator([sim]) { server in
                let outcome = try await probeOnce(
                    settings(server, "hf", kind: .huggingface, models: ["meta-llama/Llama-3.1-8B", "nobody/nothing"]), key: key)
                #expect(outcome.requestsSent == 3)
                #expect(server.requestCount(for: "hf") == 3)
                #expect(outcome.providerReachable)
                #expect(outcome.results.first { $0.model == "meta-llama/Llama-3.1-8B" }?.success == true)
                #expect(outcome.results.first { $0.model == "nobody/nothing" }?.reason == .modelMissing)
                #expect(header(server.lastRequestHeaders(for: "hf"), "authorization") == "Bearer " + key)
            }
        }

        @Test func huggingFaceBadTokenFailsEveryModel() async throws {
            let sim = SimulatedProvider(name: "hf", kind: .huggingface, models: ["a/b"], requiredKey: "the-right-token")
            try await withSimulator([sim]) { server in
                let outcome = try await probeOnce(settings(server, "hf", kind: .huggingface, models: ["a/b"]), key: key)
                #expect(outcome.reason == .auth)
                #expect(outcome.requestsSent == 1)
                #expect(outcome.results.allSatisfy { $0.reason == .auth && $0.statusCode == 401 })
            }
        }

        @Test func configuredHeadersAreSent() async throws {
            try await withSimulator([SimulatedProvider(name: "oa", kind: .openai, models: ["m"])]) { server in
                var provider = settings(server, "oa", kind: .openai)
                provider.headers = ["OpenAI-Organization": "org-123"]
                _ = try await probeOnce(provider)
                #expect(header(server.lastRequestHeaders(for: "oa"), "openai-organization") == "org-123")
            }
        }
    }
}
