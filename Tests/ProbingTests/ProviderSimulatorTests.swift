import Foundation
import HealthCore
import Probing
import ProviderSimulator
import Testing

private func get(_ url: String, client: HTTPProbeClient, timeout: Double = 3) async throws -> HTTPProbeResponse {
    let result = try await client.send(HTTPProbeRequest(url: url, timeoutSeconds: timeout))
    return try #require(result.response)
}

/// Posts a one-message chat completion asking for `tokens` in `field`.
private func postChat(
    _ baseURL: String, model: String, field: String, tokens: Int = 1, client: HTTPProbeClient
) async throws -> HTTPProbeResponse {
    let body = #"{"model":"\#(model)","\#(field)":\#(tokens),"messages":[{"role":"user","content":"ping"}]}"#
    let result = try await client.send(
        HTTPProbeRequest(
            method: "POST", url: baseURL + "/chat/completions", headers: [("Content-Type", "application/json")],
            body: Array(body.utf8), timeoutSeconds: 3))
    return try #require(result.response)
}

extension NetworkTests {
    @Suite struct ProviderSimulatorTests {
        @Test func baseURLsFollowEachKindsConvention() async throws {
            let providers = simulatedKinds.map { SimulatedProvider(name: "p-\($0.rawValue)", kind: $0, models: []) }
            try await withSimulator(providers) { server in
                let root = "http://127.0.0.1:\(server.port)"
                #expect(server.baseURL(for: "p-openai") == root + "/p-openai/v1")
                #expect(server.baseURL(for: "p-openrouter") == root + "/p-openrouter/api/v1")
                #expect(server.baseURL(for: "p-anthropic") == root + "/p-anthropic")
                #expect(server.baseURL(for: "p-gemini") == root + "/p-gemini")
                #expect(server.baseURL(for: "p-ollama") == root + "/p-ollama")
                #expect(server.baseURL(for: "p-huggingface") == root + "/p-huggingface")
            }
        }

        @Test func namesAreMadePathSafe() async throws {
            let name = "team a/openai (eu)"
            try await withSimulator([SimulatedProvider(name: name, kind: .openai, models: ["m"])]) { server in
                let base = server.baseURL(for: name)
                #expect(!base.contains(" "))
                #expect(!base.dropFirst("http://".count).contains("(eu)"))
                let outcome = try await probeOnce(settings(server, name, kind: .openai, models: ["m"]))
                #expect(outcome.results.first?.success == true)
                #expect(server.requestCount(for: name) == 1)
            }
        }

        @Test func duplicateNamesAreRefused() async throws {
            await #expect(throws: (any Error).self) {
                _ = try await ProviderSimulatorServer.start(providers: [
                    SimulatedProvider(name: "x", kind: .openai, models: []),
                    SimulatedProvider(name: "x", kind: .anthropic, models: []),
                ])
            }
        }

        @Test func unknownProviderIs404() async throws {
            try await withSimulator([SimulatedProvider(name: "p", kind: .openai, models: [])]) { server in
                let response = try await get("http://127.0.0.1:\(server.port)/nobody/v1/models", client: HTTPProbeClient())
                #expect(response.statusCode == 404)
            }
        }

        @Test func flakyFailsEveryNthRequestFromTheSecond() async throws {
            try await withSimulator([SimulatedProvider(name: "f", kind: .openai, models: ["m"], behaviour: .flaky(failEvery: 3))]) {
                server in
                let client = HTTPProbeClient()
                var statuses: [Int] = []
                for _ in 1...8 {
                    statuses.append(try await get(server.baseURL(for: "f") + "/models", client: client).statusCode)
                }
                #expect(statuses == [200, 503, 200, 200, 503, 200, 200, 503])
                #expect(server.requestCount(for: "f") == 8)
            }
        }

        @Test func thousandsOfModelsInOneList() async throws {
            let models = (0..<5000).map { "model-\($0)" }
            try await withSimulator([SimulatedProvider(name: "big", kind: .openai, models: models)]) { server in
                let response = try await get(server.baseURL(for: "big") + "/models", client: HTTPProbeClient())
                let object = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
                let data = try #require(object["data"] as? [[String: Any]])
                #expect(data.count == 5000)
                #expect(data.last?["id"] as? String == "model-4999")
            }
        }

        @Test func manyConcurrentProbes() async throws {
            let providers = (0..<40).map { SimulatedProvider(name: "p\($0)", kind: .openai, models: ["m"]) }
            try await withSimulator(providers) { server in
                let client = HTTPProbeClient()
                let outcomes = try await withThrowingTaskGroup(of: ProbeOutcome.self) { group in
                    for index in 0..<40 {
                        for _ in 0..<5 {
                            let provider = settings(server, "p\(index)", kind: .openai, models: ["m"])
                            group.addTask { try await makeProber(for: .openai, client: client).probe(provider, apiKey: nil) }
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(outcomes.count == 200)
                #expect(outcomes.allSatisfy { $0.results.first?.success == true })
                #expect((0..<40).allSatisfy { server.requestCount(for: "p\($0)") == 5 })
            }
        }

        @Test func shutdownIsCleanWithStalledConnectionsOpen() async throws {
            let server = try await ProviderSimulatorServer.start(providers: [
                SimulatedProvider(name: "never", kind: .openai, models: [], behaviour: .neverAnswer),
                SimulatedProvider(name: "drip", kind: .openai, models: [], behaviour: .drip(interval: 0.05)),
            ])
            let port = server.port
            async let never = RawHTTPConnection.exchange(port: port, path: "/never/v1/models")
            async let drip = RawHTTPConnection.exchange(port: port, path: "/drip/v1/models")
            while server.requestCount(for: "never") == 0 || server.requestCount(for: "drip") == 0 {
                try await Task.sleep(for: .milliseconds(10))
            }
            try await Task.sleep(for: .milliseconds(200))
            let clock = ContinuousClock()
            let start = clock.now
            try await server.shutdown()
            #expect((clock.now - start).seconds < 2)
            let (neverReceived, dripReceived) = await (never, drip)
            // Both stalled connections were closed by the server well before the clients' 10 s read timeout.
            #expect((clock.now - start).seconds < 5)
            #expect(neverReceived.closedByServer && neverReceived.bytes.isEmpty)
            #expect(dripReceived.closedByServer)
            let dripped = String(decoding: dripReceived.bytes, as: UTF8.self)
            #expect(dripped.hasPrefix("HTTP/1.1 200 OK\r\nx"))
            #expect(!dripped.contains("\r\n\r\n"))
        }

        /// The OpenAI fake refuses `max_tokens` for reasoning models with OpenAI's answer, and takes
        /// `max_completion_tokens`; other models, and OpenRouter, take `max_tokens`.
        @Test func openAIReasoningModelsRefuseMaxTokensAsOpenAIDoes() async throws {
            try await withSimulator([
                SimulatedProvider(name: "oa", kind: .openai, models: ["o3-mini", "gpt-5", "gpt-4o-mini"]),
                SimulatedProvider(name: "or", kind: .openrouter, models: ["openai/o3-mini"]),
            ]) { server in
                let client = HTTPProbeClient()
                let openAI = server.baseURL(for: "oa")
                for model in ["o3-mini", "gpt-5"] {
                    let refused = try await postChat(openAI, model: model, field: "max_tokens", client: client)
                    #expect(refused.statusCode == 400)
                    let contentType = refused.headers.first { $0.name.lowercased() == "content-type" }?.value
                    #expect(contentType == "application/json")
                    #expect(
                        String(decoding: refused.body, as: UTF8.self)
                            == #"{"error": {"message": "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", "type": "invalid_request_error", "param": "max_tokens", "code": "unsupported_parameter"}}"#
                    )

                    let answered = try await postChat(
                        openAI, model: model, field: "max_completion_tokens", client: client)
                    #expect(answered.statusCode == 200)
                    let choice = try #require(
                        ((try JSONSerialization.jsonObject(with: Data(answered.body)) as? [String: Any])?["choices"]
                            as? [[String: Any]])?.first)
                    #expect(choice["finish_reason"] as? String == "length", "a 1-token budget is cut off")
                }
                let otherModel = try await postChat(openAI, model: "gpt-4o-mini", field: "max_tokens", client: client)
                #expect(otherModel.statusCode == 200)
                let openRouter = try await postChat(
                    server.baseURL(for: "or"), model: "openai/o3-mini", field: "max_tokens", client: client)
                #expect(openRouter.statusCode == 200)
            }
        }

        @Test func healthyAnswersAfterASmallLatencyAndExtraLatency() async throws {
            let sim = SimulatedProvider(name: "p", kind: .ollama, models: ["m"], extraLatency: 0.2)
            try await withSimulator([sim]) { server in
                let result = try await HTTPProbeClient().send(
                    HTTPProbeRequest(url: server.baseURL(for: "p") + "/api/tags", timeoutSeconds: 3))
                #expect(result.response?.statusCode == 200)
                #expect(result.latencySeconds >= 0.2)
                #expect(result.latencySeconds < 0.8)
            }
        }

        @Test func demoFleetCoversEveryBehaviour() async throws {
            let fleet = SimulatedProvider.demoFleet()
            #expect(fleet.count == 6)
            #expect(Set(fleet.map(\.name)).count == 6)
            #expect(fleet.allSatisfy { !$0.models.isEmpty })
            let big = SimulatedProvider.demoFleet(providers: 20, modelsPerProvider: 50)
            #expect(big.count == 20)
            #expect(Set(big.map(\.name)).count == 20)
            #expect(big.allSatisfy { $0.models.count == 50 && Set($0.models).count == 50 })
        }
    }
}

extension NetworkTests {
    @Suite struct DemoFleetProbeTests {
        /// The demo fleet, probed for real, shows each behaviour as the failure it stands for.
        @Test func demoFleetProbesToItsBehaviours() async throws {
            try await withSimulator(SimulatedProvider.demoFleet()) { server in
                let client = HTTPProbeClient()
                var outcomes: [String: ProbeOutcome] = [:]
                for var provider in server.providerSettings() {
                    provider.timeoutSeconds = 3
                    outcomes[provider.name] = try await makeProber(for: provider.kind, client: client)
                        .probe(provider, apiKey: nil)
                }
                #expect(outcomes.count == 6)
                #expect(outcomes["demo-healthy"]?.results.allSatisfy { $0.success } == true)
                #expect(outcomes["demo-healthy"]?.results.count == 3)
                let slow = try #require(outcomes["demo-slow"]?.results.first)
                #expect(slow.success && slow.latencySeconds >= 1.2)
                #expect(outcomes["demo-flaky"]?.results.first?.success == true)  // the first request passes
                #expect(outcomes["demo-ratelimited"]?.reason == .rateLimited)
                #expect(outcomes["demo-unauthorized"]?.reason == .auth)
                #expect(outcomes["demo-down"]?.providerReachable == false)
            }
        }
    }
}
