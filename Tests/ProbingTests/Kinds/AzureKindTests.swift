import Foundation
import HealthCore
import Probing
import Testing

/// Azure OpenAI against a fake resource on loopback that checks the `api-key` header (or an Entra bearer
/// token), answers Azure's error bodies and sends Azure's rate-limit headers.
extension NetworkTests {
    @Suite struct AzureKindTests {
        static let key = "0123456789abcdef0123456789abcdef"
        static let apiVersion = "2024-10-21"

        /// One Azure OpenAI resource with the deployment `chat-mini`.
        enum Mode: Sendable { case healthy, rateLimited, down }

        static func fakeResource(_ mode: Mode, token: String? = nil) -> @Sendable (LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
            { request in
                let authorized =
                    token.map { request.header("authorization") == "Bearer " + $0 } ?? (request.header("api-key") == key)
                guard authorized else {
                    return .init(
                        status: 401,
                        json: #"{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."}}"#)
                }
                guard request.query == "api-version=\(apiVersion)" else {
                    return .init(status: 404, json: #"{"error":{"code":"404","message":"Resource not found"}}"#)
                }
                switch mode {
                case .down:
                    return .init(status: 503, json: #"{"error":{"code":"ServiceUnavailable","message":"The service is temporarily unable to process your request. Please try again later."}}"#)
                case .rateLimited:
                    return .init(
                        status: 429,
                        headers: [
                            ("x-ratelimit-remaining-requests", "0"), ("x-ratelimit-remaining-tokens", "0"),
                            ("retry-after", "7"), ("retry-after-ms", "6500"),
                        ],
                        json: #"{"error":{"code":"429","message":"Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded call rate limit of your current OpenAI S0 pricing tier. Please retry after 7 seconds."}}"#)
                case .healthy:
                    break
                }
                let headers = [("x-ratelimit-remaining-requests", "99"), ("x-ratelimit-remaining-tokens", "9000")]
                switch (request.method, String(request.path)) {
                case ("GET", "/openai/models"):
                    return .init(
                        status: 200, headers: headers,
                        json: #"{"data":[{"id":"gpt-4o-mini-2024-07-18","object":"model","status":"succeeded"}],"object":"list"}"#)
                case ("POST", "/openai/deployments/chat-mini/chat/completions"):
                    guard request.json?["messages"] != nil, request.json?["model"] == nil else {
                        return .init(status: 400, json: #"{"error":{"code":"BadRequest","message":"bad body"}}"#)
                    }
                    return .init(
                        status: 200, headers: headers,
                        json: #"{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"finish_reason":"length","message":{"role":"assistant","content":"p"}}]}"#)
                case ("POST", _):
                    return .init(
                        status: 404,
                        json: #"{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again."}}"#)
                default:
                    return .init(status: 404, json: #"{"error":{"code":"404","message":"Resource not found"}}"#)
                }
            }
        }

        static func azure(_ server: LoopbackHTTPServer, models: [String] = ["chat-mini"], options: [String: String] = [:])
            -> ProviderSettings
        {
            ProviderSettings(
                name: "azure-east", kind: .azure, baseURL: server.baseURL, models: models.map { ModelSettings(name: $0) },
                timeoutSeconds: 3, completionProbe: true, kindOptions: ["api_version": apiVersion].merging(options) { $1 })
        }

        static func probe(_ provider: ProviderSettings, key: String? = AzureKindTests.key) async throws -> ProbeOutcome {
            try await makeProber(for: .azure, client: HTTPProbeClient()).probe(provider, apiKey: key.map(Secret.init))
        }

        @Test func theStatusesOnCallSees() async throws {
            try await withLoopbackServer(Self.fakeResource(.healthy)) { server in
                let provider = Self.azure(server)
                let fresh = try await status(of: provider) { try await Self.probe(provider) }
                #expect(fresh == .healthy)
                let wrong = "fedcba9876543210fedcba9876543210"
                let rejected = try await status(of: provider) { try await Self.probe(provider, key: wrong) }
                #expect(rejected == .unauthorized)
            }
            try await withLoopbackServer(Self.fakeResource(.rateLimited)) { server in
                let provider = Self.azure(server)
                let refused = try await status(of: provider) { try await Self.probe(provider) }
                #expect(refused == .rateLimited)
            }
            try await withLoopbackServer(Self.fakeResource(.down)) { server in
                let provider = Self.azure(server)
                let failing = try await status(of: provider, after: 7) { try await Self.probe(provider) }
                #expect(failing == .down)
                let notYet = try await status(of: provider, after: 6) { try await Self.probe(provider) }
                #expect(notYet != .down, "a fresh provider's 6 failures are not yet an outage")
            }
        }

        @Test func healthyResourceWithItsDeployment() async throws {
            try await withLoopbackServer(Self.fakeResource(.healthy)) { server in
                let outcome = try await Self.probe(Self.azure(server))
                #expect(outcome.reason == nil)
                #expect(outcome.results.map(\.model) == ["chat-mini"])
                #expect(outcome.results.allSatisfy { $0.success })
                #expect(server.requests.map(\.target) == [
                    "/openai/models?api-version=\(Self.apiVersion)",
                    "/openai/deployments/chat-mini/chat/completions?api-version=\(Self.apiVersion)",
                ])
                #expect(server.requests.allSatisfy { $0.header("authorization") == nil })
                #expect(outcome.rateLimit?.requestsRemaining == 99)
                #expect(outcome.rateLimit?.tokensRemaining == 9000)
            }
        }

        @Test func wrongKeyIsUnauthorizedAndNeverEchoed() async throws {
            let wrong = "fedcba9876543210fedcba9876543210"
            try await withLoopbackServer(Self.fakeResource(.healthy)) { server in
                let outcome = try await Self.probe(Self.azure(server), key: wrong)
                #expect(outcome.reason == .auth)
                #expect(outcome.statusCode == 401)
                #expect(outcome.results.allSatisfy { $0.reason == .auth })
                let message = try #require(outcome.results.first?.error)
                #expect(message.contains("Access denied due to invalid subscription key"))
                #expect(!message.contains(wrong))
            }
        }

        @Test func rateLimitedWithAzureHeaders() async throws {
            try await withLoopbackServer(Self.fakeResource(.rateLimited)) { server in
                let outcome = try await Self.probe(Self.azure(server))
                #expect(outcome.reason == .rateLimited)
                #expect(outcome.providerReachable)
                #expect(outcome.rateLimit?.requestsRemaining == 0)
                #expect(outcome.rateLimit?.tokensRemaining == 0)
                #expect(outcome.rateLimit?.retryAfterSeconds == 7)
                #expect(outcome.results.first?.error?.contains("exceeded call rate limit") == true)
            }
        }

        @Test func serverErrorIsDownAndUnreachableIsDown() async throws {
            try await withLoopbackServer(Self.fakeResource(.down)) { server in
                let outcome = try await Self.probe(Self.azure(server))
                #expect(outcome.reason == .http5xx)
                #expect(!outcome.providerReachable)
            }
            let closed = try await LoopbackHTTPServer.start(Self.fakeResource(.healthy))
            let provider = Self.azure(closed)
            await closed.shutdown()
            let outcome = try await Self.probe(provider)
            #expect(outcome.reason == .connect)
            #expect(!outcome.providerReachable)
        }

        @Test func missingDeploymentIsAMissingModel() async throws {
            try await withLoopbackServer(Self.fakeResource(.healthy)) { server in
                let outcome = try await Self.probe(Self.azure(server, models: ["chat-mini", "gpt-5-nope"]))
                #expect(outcome.reason == nil)
                #expect(outcome.results.first { $0.model == "chat-mini" }?.success == true)
                let missing = try #require(outcome.results.first { $0.model == "gpt-5-nope" })
                #expect(missing.reason == .modelMissing)
                #expect(missing.statusCode == 404)
            }
        }

        @Test func entraTokenFromAFileReplacesTheKey() async throws {
            let token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.entra-test-token"
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("azure-token-\(UUID().uuidString)")
            try Data((token + "\n").utf8).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            try await withLoopbackServer(Self.fakeResource(.healthy, token: token)) { server in
                let provider = Self.azure(server, options: ["bearer_token_file": file.path])
                let outcome = try await Self.probe(provider, key: nil)
                #expect(outcome.reason == nil)
                #expect(server.requests.allSatisfy { $0.header("api-key") == nil })
                // A token file that went missing: nothing is sent, the provider is unauthorized.
                try FileManager.default.removeItem(at: file)
                let before = server.requests.count
                let missing = try await Self.probe(provider, key: nil)
                #expect(missing.reason == .auth)
                #expect(server.requests.count == before)
            }
        }
    }
}
