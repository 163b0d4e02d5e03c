import Foundation
import HealthCore
import Probing
import Testing

/// AWS Bedrock against a fake whose signature checks are botocore's (see `BedrockFake`).
extension NetworkTests {
    @Suite struct BedrockKindTests {
        static let keyID = "AKIDEXAMPLE7PROBE01"
        static let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
        static let region = "eu-central-1"
        static let model = "anthropic.claude-3-haiku-20240307-v1:0"

        static func environment(secret: String = BedrockKindTests.secret, token: String? = nil) -> [String: String] {
            var environment = ["AWS_ACCESS_KEY_ID": keyID, "AWS_SECRET_ACCESS_KEY": secret, "HOME": "/nonexistent"]
            environment["AWS_SESSION_TOKEN"] = token
            return environment
        }

        static func bedrock(_ fake: BedrockFake, models: [String] = [model], options: [String: String] = [:])
            -> ProviderSettings
        {
            ProviderSettings(
                name: "bedrock-eu", kind: .bedrock, baseURL: fake.baseURL,
                models: models.map { ModelSettings(name: $0) }, timeoutSeconds: 5, completionProbe: true,
                kindOptions: ["region": region, "runtime_url": fake.baseURL].merging(options) { $1 })
        }

        static func probe(_ provider: ProviderSettings, environment: [String: String]) async throws -> ProbeOutcome {
            try await makeProber(for: .bedrock, client: HTTPProbeClient(), environment: environment)
                .probe(provider, apiKey: nil)
        }

        static func withFake<T>(
            _ mode: BedrockFake.Mode = .healthy, token: String? = nil, _ body: (BedrockFake) async throws -> T
        ) async throws -> T {
            let fake = try BedrockFake.start(
                keyID: keyID, secret: secret, sessionToken: token, region: region, mode: mode)
            defer { fake.shutdown() }
            return try await body(fake)
        }

        @Test func theStatusesOnCallSees() async throws {
            try await Self.withFake { fake in
                let provider = Self.bedrock(fake)
                let fresh = try await status(of: provider) { try await Self.probe(provider, environment: Self.environment()) }
                #expect(fresh == .healthy)
                let wrong = Self.environment(secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYWRONGKEY00")
                let rejected = try await status(of: provider) { try await Self.probe(provider, environment: wrong) }
                #expect(rejected == .unauthorized)
            }
            try await Self.withFake(.throttled) { fake in
                let provider = Self.bedrock(fake)
                let refused = try await status(of: provider) { try await Self.probe(provider, environment: Self.environment()) }
                #expect(refused == .rateLimited)
            }
            try await Self.withFake(.down) { fake in
                let provider = Self.bedrock(fake)
                let failing = try await status(of: provider, after: 7) { try await Self.probe(provider, environment: Self.environment()) }
                #expect(failing == .down)
            }
        }

        @Test func healthyWithSignedListAndConverse() async throws {
            try await Self.withFake { fake in
                // A cross-region inference profile names a listed model too.
                let models = [Self.model, "eu.amazon.nova-micro-v1:0"]
                let outcome = try await Self.probe(Self.bedrock(fake, models: models), environment: Self.environment())
                #expect(outcome.reason == nil)
                #expect(outcome.results.map(\.model) == models)
                #expect(outcome.results.allSatisfy { $0.success })
                // The list, then one Converse per model: every one accepted by botocore's signature check.
                #expect(outcome.requestsSent == 3)
            }
        }

        @Test func sessionTokenIsSignedAndSent() async throws {
            let token = "FwoGZXIvYXdzEXAMPLEsessiontoken//////////"
            try await Self.withFake(token: token) { fake in
                let outcome = try await Self.probe(Self.bedrock(fake), environment: Self.environment(token: token))
                #expect(outcome.reason == nil)
                // Without the token AWS does not know the temporary key.
                let without = try await Self.probe(Self.bedrock(fake), environment: Self.environment())
                #expect(without.reason == .auth)
            }
        }

        @Test func wrongSecretIsUnauthorizedAndNeverEchoed() async throws {
            let wrong = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYWRONGKEY00"
            try await Self.withFake { fake in
                let outcome = try await Self.probe(Self.bedrock(fake), environment: Self.environment(secret: wrong))
                #expect(outcome.reason == .auth)
                #expect(outcome.statusCode == 403)
                let message = try #require(outcome.results.first?.error)
                #expect(message.contains("signature we calculated does not match"))
                #expect(!message.contains(wrong))
            }
        }

        @Test func unknownKeyAndDeniedActionAreUnauthorized() async throws {
            try await Self.withFake { fake in
                var environment = Self.environment()
                environment["AWS_ACCESS_KEY_ID"] = "AKIDUNKNOWN000000000"
                let outcome = try await Self.probe(Self.bedrock(fake), environment: environment)
                #expect(outcome.reason == .auth)
                #expect(outcome.results.first?.error?.contains("security token included in the request is invalid") == true)
            }
            try await Self.withFake(.denied) { fake in
                let outcome = try await Self.probe(Self.bedrock(fake), environment: Self.environment())
                #expect(outcome.reason == .auth)
                #expect(outcome.providerReachable)
            }
        }

        @Test func throttlingIsRateLimited() async throws {
            try await Self.withFake(.throttled) { fake in
                let outcome = try await Self.probe(Self.bedrock(fake), environment: Self.environment())
                #expect(outcome.reason == .rateLimited)
                #expect(outcome.statusCode == 429)
                #expect(outcome.providerReachable)
            }
        }

        @Test func serviceUnavailableAndNoListenerAreDown() async throws {
            try await Self.withFake(.down) { fake in
                let outcome = try await Self.probe(Self.bedrock(fake), environment: Self.environment())
                #expect(outcome.reason == .http5xx)
                #expect(!outcome.providerReachable)
            }
            let gone = try BedrockFake.start(keyID: Self.keyID, secret: Self.secret, sessionToken: nil, region: Self.region)
            gone.shutdown()
            let outcome = try await Self.probe(Self.bedrock(gone), environment: Self.environment())
            #expect(outcome.reason == .connect)
        }

        @Test func unknownModelIsMissing() async throws {
            try await Self.withFake { fake in
                let outcome = try await Self.probe(
                    Self.bedrock(fake, models: [Self.model, "meta.llama-nope-v1:0"]), environment: Self.environment())
                #expect(outcome.results.first { $0.model == Self.model }?.success == true)
                #expect(outcome.results.first { $0.model == "meta.llama-nope-v1:0" }?.reason == .modelMissing)
            }
        }

        @Test func credentialsFromTheSharedFileAndProfile() async throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aws-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let file = directory.appendingPathComponent("credentials")
            try Data(
                """
                [default]
                aws_access_key_id = AKIDSOMEONEELSE00000
                aws_secret_access_key = notthisone

                [probe]
                aws_access_key_id = \(Self.keyID)
                aws_secret_access_key = \(Self.secret)
                """.utf8
            ).write(to: file)
            try await Self.withFake { fake in
                let environment = ["AWS_SHARED_CREDENTIALS_FILE": file.path, "AWS_PROFILE": "probe"]
                #expect(try await Self.probe(Self.bedrock(fake), environment: environment).reason == nil)
                // The profile of the configuration wins over AWS_PROFILE and over keys in the environment.
                let configured = Self.bedrock(fake, options: ["profile": "probe"])
                var mixed = Self.environment(secret: "wrong")
                mixed["AWS_SHARED_CREDENTIALS_FILE"] = file.path
                #expect(try await Self.probe(configured, environment: mixed).reason == nil)
                // A profile that is not there: nothing is sent, the provider is unauthorized.
                let missing = try await Self.probe(
                    Self.bedrock(fake), environment: ["AWS_SHARED_CREDENTIALS_FILE": file.path, "AWS_PROFILE": "nope"])
                #expect(missing.reason == .auth)
                #expect(missing.requestsSent == 0)
                #expect(missing.results.first?.error?.contains("profile nope is not in") == true)
            }
        }
    }
}
