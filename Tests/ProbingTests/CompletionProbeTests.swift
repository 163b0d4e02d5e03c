import Foundation
import HealthCore
import Probing
import ProviderSimulator
import Testing

extension NetworkTests {
    @Suite struct CompletionProbeTests {
        @Test(arguments: [ProviderKind.openai, .openrouter, .anthropic, .gemini, .ollama])
        func cutOffByLengthIsASuccess(kind: ProviderKind) async throws {
            try await withSimulator([SimulatedProvider(name: "p", kind: kind, models: ["m1", "m2"])]) { server in
                let provider = settings(server, "p", kind: kind, models: ["m1", "m2"], completionProbe: true, maxTokens: 1)
                let outcome = try await probeOnce(provider)
                #expect(outcome.results.count == 2)
                #expect(outcome.results.allSatisfy { $0.success })
                let listRequests = kind == .openrouter ? 2 : 1
                #expect(outcome.requestsSent == listRequests + 2)
                #expect(server.requestCount(for: "p") == listRequests + 2)
                // The last request was a completion asking for the configured budget.
                let request = try #require(server.lastRequest(for: "p"))
                #expect(request.method == "POST")
                let body = String(decoding: request.body, as: UTF8.self)
                let field = switch kind {
                case .gemini: #""maxOutputTokens":1"#
                case .ollama: #""num_predict":1"#
                default: #""max_tokens":1"#
                }
                #expect(body.contains(field))
            }
        }

        @Test func maxTokensComesFromTheModelSettings() async throws {
            try await withSimulator([SimulatedProvider(name: "p", kind: .openai, models: ["o3"])]) { server in
                var provider = settings(server, "p", kind: .openai, completionProbe: true)
                provider.models = [ModelSettings(name: "o3", maxTokens: 64)]
                let outcome = try await probeOnce(provider)
                #expect(outcome.results.first?.success == true)
                let body = String(decoding: try #require(server.lastRequest(for: "p")).body, as: UTF8.self)
                #expect(body.contains(#""max_tokens":64"#))
            }
        }

        @Test func missingModelsGetNoCompletion() async throws {
            try await withSimulator([SimulatedProvider(name: "p", kind: .openai, models: ["here"])]) { server in
                let outcome = try await probeOnce(
                    settings(server, "p", kind: .openai, models: ["here", "gone"], completionProbe: true))
                #expect(outcome.requestsSent == 2)
                #expect(outcome.results.first { $0.model == "gone" }?.reason == .modelMissing)
                #expect(outcome.results.first { $0.model == "here" }?.success == true)
            }
        }

        @Test func completionsRunConcurrently() async throws {
            // Each answer takes 0.4 s; five models one after another would take 2 s.
            let models = (1...5).map { "m\($0)" }
            let sim = SimulatedProvider(name: "p", kind: .openai, models: models, behaviour: .slow(seconds: 0.4))
            try await withSimulator([sim]) { server in
                let clock = ContinuousClock()
                let start = clock.now
                let outcome = try await probeOnce(
                    settings(server, "p", kind: .openai, models: models, timeout: 3, completionProbe: true))
                let elapsed = (clock.now - start).seconds
                #expect(outcome.results.allSatisfy { $0.success })
                #expect(outcome.requestsSent == 6)
                #expect(elapsed < 1.6)
            }
        }

        @Test func failingCompletionFailsItsModel() async throws {
            // Every 2nd request (counting from the 2nd) fails: the list passes, the completion gets a 503.
            let sim = SimulatedProvider(name: "p", kind: .openai, models: ["m"], behaviour: .flaky(failEvery: 1))
            try await withSimulator([sim]) { server in
                let outcome = try await probeOnce(settings(server, "p", kind: .openai, models: ["m"], completionProbe: true))
                #expect(outcome.providerReachable)
                #expect(outcome.reason == nil)
                let result = try #require(outcome.results.first)
                #expect(!result.success)
                #expect(result.reason == .http5xx)
                #expect(result.statusCode == 503)
            }
        }
    }
}
