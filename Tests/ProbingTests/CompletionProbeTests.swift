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

        /// The budget comes from the model's settings, in the field its family takes: the simulator refuses
        /// `max_tokens` for o3 as OpenAI does, so a pass in two requests means the right field went first.
        @Test(arguments: [("o3", "max_completion_tokens"), ("gpt-4o", "max_tokens")])
        func maxTokensComesFromTheModelSettings(model: String, field: String) async throws {
            try await withSimulator([SimulatedProvider(name: "p", kind: .openai, models: [model])]) { server in
                var provider = settings(server, "p", kind: .openai, completionProbe: true)
                provider.models = [ModelSettings(name: model, maxTokens: 64)]
                let outcome = try await probeOnce(provider)
                #expect(outcome.results.first?.success == true)
                #expect(outcome.requestsSent == 2)
                let body = String(decoding: try #require(server.lastRequest(for: "p")).body, as: UTF8.self)
                #expect(body.contains(#""\#(field)":64"#))
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

/// A key the scripted servers echo in their errors: it must never reach an `error` text.
private let canary = "sk-canary-tokens-4b1e9d07c2a6f3"

/// Settings for the provider a scripted server plays, completion probe on.
private func scripted(_ server: ScriptedOpenAIServer, _ models: [String], name: String = "p") -> ProviderSettings {
    ProviderSettings(
        name: name, kind: .openai, baseURL: server.baseURL,
        models: models.map { ModelSettings(name: $0, maxTokens: 16) }, timeoutSeconds: 3, completionProbe: true)
}

/// One probe through a new prober on `client`: what the scheduler does, also after a reload.
private func probe(_ provider: ProviderSettings, client: HTTPProbeClient) async throws -> ProbeOutcome {
    try await makeProber(for: provider.kind, client: client).probe(provider, apiKey: Secret(canary))
}

/// A reasoning model behind a name the prober cannot recognise (an Azure deployment, say): refuses
/// `max_tokens` exactly as OpenAI does.
private func hiddenReasoningModel(_ chat: ScriptedOpenAIServer.ChatRequest) -> ScriptedOpenAIServer.Answer {
    chat.tokenLimitFields.contains("max_tokens") ? .unsupportedParameter("max_tokens") : .completion(chat.model)
}

extension NetworkTests {
    /// The token-limit field of OpenAI-compatible completion probes: predicted from the model's family,
    /// corrected by one retry on a 400 refusing it, remembered by the client.
    @Suite struct CompletionTokenLimitTests {
        /// The acceptance case: against the o-series fake, the first probe passes with no extra request, and
        /// so do the next ones.
        @Test(arguments: ["o3-mini", "o1", "gpt-5-mini", "openai/o4-mini", "ft:o4-mini-2025-04-16:acme::b1x9"])
        func predictedReasoningModelsNeedNoRetry(model: String) async throws {
            try await withSimulator([SimulatedProvider(name: "p", kind: .openai, models: [model])]) { server in
                let client = HTTPProbeClient()
                let provider = settings(server, "p", kind: .openai, models: [model], completionProbe: true)
                for round in 1...3 {
                    let outcome = try await probe(provider, client: client)
                    let result = try #require(outcome.results.first)
                    #expect(result.success, "probe \(round): \(result.error ?? "")")
                    #expect(outcome.requestsSent == 2, "the model list and one completion")
                    let body = String(decoding: try #require(server.lastRequest(for: "p")).body, as: UTF8.self)
                    #expect(body.contains(#""max_completion_tokens":1"#))
                    #expect(!body.contains("max_tokens"))
                }
                #expect(server.requestCount(for: "p") == 6)
            }
        }

        /// OpenRouter translates `max_tokens` for every model, OpenAI's reasoning models included.
        @Test func openRouterKeepsMaxTokens() async throws {
            let sim = SimulatedProvider(name: "p", kind: .openrouter, models: ["openai/o3-mini"])
            try await withSimulator([sim]) { server in
                let outcome = try await probeOnce(
                    settings(server, "p", kind: .openrouter, models: ["openai/o3-mini"], completionProbe: true))
                #expect(outcome.results.first?.success == true)
                #expect(outcome.requestsSent == 3, "model list, key, one completion")
                let body = String(decoding: try #require(server.lastRequest(for: "p")).body, as: UTF8.self)
                #expect(body.contains(#""max_tokens":1"#))
            }
        }

        @Test func unpredictedReasoningModelIsLearnedWithOneRetry() async throws {
            try await withScriptedServer(models: ["prod-reasoner"], answer: hiddenReasoningModel) { server in
                let client = HTTPProbeClient()
                let provider = scripted(server, ["prod-reasoner"])
                let first = try await probe(provider, client: client)
                #expect(first.results.first?.success == true)
                #expect(first.results.first?.statusCode == 200)
                #expect(first.requestsSent == 3, "the model list, the refused completion, the retry")
                #expect(server.chatRequests.map(\.tokenLimitFields) == [["max_tokens"], ["max_completion_tokens"]])
                for round in 2...3 {
                    let outcome = try await probe(provider, client: client)
                    #expect(outcome.results.first?.success == true, "probe \(round)")
                    #expect(outcome.requestsSent == 2, "probe \(round): remembered, no retry")
                    #expect(server.chatRequests.last?.tokenLimitFields == ["max_completion_tokens"])
                }
                #expect(server.chatRequests.count == 4)
            }
        }

        /// Servers that know only `max_tokens`, whatever the model is called, in two dialects: an older
        /// OpenAI-compatible server's and OpenAI's own wording for a parameter it does not know.
        @Test(arguments: [
            ScriptedOpenAIServer.Answer.unrecognizedArgument("max_completion_tokens"),
            ScriptedOpenAIServer.Answer(
                status: 400,
                json: #"{"error":{"message":"Unknown parameter: 'max_completion_tokens'.","type":"invalid_request_error","param":"max_completion_tokens","code":"unknown_parameter"}}"#
            ),
        ])
        func serverRefusingMaxCompletionTokensGetsMaxTokens(refusal: ScriptedOpenAIServer.Answer) async throws {
            try await withScriptedServer(models: ["o3-mini"]) { chat in
                chat.tokenLimitFields.contains("max_completion_tokens") ? refusal : .completion(chat.model)
            } _: { server in
                let client = HTTPProbeClient()
                let provider = scripted(server, ["o3-mini"])
                let first = try await probe(provider, client: client)
                #expect(first.results.first?.success == true)
                #expect(first.requestsSent == 3)
                #expect(server.chatRequests.map(\.tokenLimitFields) == [["max_completion_tokens"], ["max_tokens"]])
                for round in 2...3 {
                    let outcome = try await probe(provider, client: client)
                    #expect(outcome.results.first?.success == true, "probe \(round)")
                    #expect(outcome.requestsSent == 2, "probe \(round): remembered, no retry")
                    #expect(server.chatRequests.last?.tokenLimitFields == ["max_tokens"])
                }
            }
        }

        /// A 400 about something else — the model, the token budget's value, another parameter — is the
        /// model's failure at once.
        @Test(arguments: [
            #"{"error":{"message":"The model 'gpt-4o-mini' does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}"#,
            #"{"error":{"message":"Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got 0 instead.","type":"invalid_request_error","param":"max_tokens","code":"integer_below_min_value"}}"#,
            #"{"error":{"message":"Unsupported parameter: 'temperature' is not supported with this model.","type":"invalid_request_error","param":"temperature","code":"unsupported_parameter"}}"#,
        ])
        func otherBadRequestsAreNotRetried(body: String) async throws {
            try await withScriptedServer(models: ["gpt-4o-mini"]) { _ in
                ScriptedOpenAIServer.Answer(status: 400, json: body)
            } _: { server in
                let outcome = try await probe(scripted(server, ["gpt-4o-mini"]), client: HTTPProbeClient())
                let result = try #require(outcome.results.first)
                #expect(!result.success)
                #expect(result.reason == .http4xx)
                #expect(result.statusCode == 400)
                #expect(result.error?.hasPrefix("HTTP 400: ") == true)
                #expect(outcome.requestsSent == 2)
                #expect(server.chatRequests.count == 1)
            }
        }

        /// A server refusing both fields: two requests per probe, the second refusal is the failure, and
        /// nothing is remembered (the next probe starts over, and again stops after two).
        @Test func secondRefusalIsTheModelsFailure() async throws {
            try await withScriptedServer(models: ["prod-reasoner"]) { chat in
                chat.tokenLimitFields.contains("max_tokens")
                    ? .unsupportedParameter("max_tokens") : .unrecognizedArgument("max_completion_tokens")
            } _: { server in
                let client = HTTPProbeClient()
                let provider = scripted(server, ["prod-reasoner"])
                for round in 1...2 {
                    let outcome = try await probe(provider, client: client)
                    let result = try #require(outcome.results.first)
                    #expect(!result.success)
                    #expect(result.reason == .http4xx)
                    #expect(result.statusCode == 400)
                    #expect(result.error == "HTTP 400: Unrecognized request argument supplied: max_completion_tokens")
                    #expect(outcome.requestsSent == 3, "probe \(round): the model list and two completions")
                    #expect(server.chatRequests.count == 2 * round)
                    let fields = server.chatRequests.suffix(2).map(\.tokenLimitFields)
                    #expect(fields == [["max_tokens"], ["max_completion_tokens"]])
                }
            }
        }

        /// A reload makes new probers over the same client: what was learned stays. It belongs to the client,
        /// and to the provider it was learned for.
        @Test func rememberedFieldSurvivesANewProber() async throws {
            try await withScriptedServer(models: ["prod-reasoner"], answer: hiddenReasoningModel) { server in
                let client = HTTPProbeClient()
                let provider = scripted(server, ["prod-reasoner"])
                #expect(try await probe(provider, client: client).requestsSent == 3)

                let reloaded = makeProber(for: .openai, client: client)
                let afterReload = try await reloaded.probe(provider, apiKey: Secret(canary))
                #expect(afterReload.results.first?.success == true)
                #expect(afterReload.requestsSent == 2)
                #expect(server.chatRequests.last?.tokenLimitFields == ["max_completion_tokens"])

                let newClient = try await probe(provider, client: HTTPProbeClient())
                #expect(newClient.results.first?.success == true)
                #expect(newClient.requestsSent == 3, "a new client has learned nothing")

                let otherProvider = try await probe(scripted(server, ["prod-reasoner"], name: "p-eu"), client: client)
                #expect(otherProvider.results.first?.success == true)
                #expect(otherProvider.requestsSent == 3, "learned per provider")
                #expect(server.chatRequests.count == 7, "2 learning, 1 remembered, 2 and 2 learning again")
            }
        }

        /// Servers that echo the key in the refusals and the other 400s: it is redacted on every path, the
        /// retried request's error included.
        @Test func keyNeverReachesTheErrors() async throws {
            try await withScriptedServer(models: ["refuses-both", "other-400", "learns"]) { chat in
                let echo = " (key \(chat.key ?? "none"))"
                let refusingMaxTokens = chat.tokenLimitFields.contains("max_tokens")
                switch chat.model {
                case "refuses-both":
                    return refusingMaxTokens
                        ? .unsupportedParameter("max_tokens", echo: echo)
                        : .unrecognizedArgument("max_completion_tokens", echo: echo)
                case "other-400":
                    return ScriptedOpenAIServer.Answer(
                        status: 400,
                        json: #"{"error":{"message":"Key \#(chat.key ?? "none") may not use this model.","type":"invalid_request_error","param":null,"code":"model_not_found"}}"#
                    )
                default:
                    return refusingMaxTokens ? .unsupportedParameter("max_tokens", echo: echo) : .completion(chat.model)
                }
            } _: { server in
                let outcome = try await probe(
                    scripted(server, ["refuses-both", "other-400", "learns"]), client: HTTPProbeClient())
                #expect(outcome.requestsSent == 6, "the list, 2 refused both, 1 other 400, 2 learning")
                #expect(server.chatRequests.allSatisfy { $0.key == canary }, "the key was sent, so it was echoed")
                let results = Dictionary(uniqueKeysWithValues: outcome.results.map { ($0.model, $0) })
                #expect(results["learns"]?.success == true)
                let refused = try #require(results["refuses-both"]?.error)
                #expect(
                    refused == "HTTP 400: Unrecognized request argument supplied: max_completion_tokens (key <secret>)")
                let other = try #require(results["other-400"]?.error)
                #expect(other == "HTTP 400: Key <secret> may not use this model.")
                for text in ([outcome.error] + outcome.results.map(\.error)).compactMap({ $0 }) {
                    #expect(!text.contains(canary))
                    #expect(!text.contains(String(canary.prefix(10))))
                    #expect(!text.contains(String(canary.suffix(8))))
                }
            }
        }
    }
}
