import HealthCore
import Probing
import ProviderSimulator
import TestSupport
import Testing

private let canary = "sk-canary-7f3a9c1e5b2d4f60"

extension NetworkTests {
    @Suite struct SecretSafetyTests {
        /// The simulator's 401 echoes the presented key, as real providers do; it must not reach `error`.
        @Test(arguments: simulatedKinds)
        func echoedKeyNeverReachesTheError(kind: ProviderKind) async throws {
            try await withSimulator([SimulatedProvider(name: "p", kind: kind, models: ["m"], behaviour: .unauthorized)]) {
                server in
                let outcome = try await probeOnce(settings(server, "p", kind: kind, models: ["m"]), key: canary)
                #expect(outcome.results.first?.success == false)
                // The key was sent, so it was echoed back.
                #expect(server.lastRequestHeaders(for: "p").contains { $0.1.contains(canary) })
                let texts = [outcome.error] + outcome.results.map(\.error)
                #expect(texts.allSatisfy { $0 != nil })
                for text in texts.compactMap({ $0 }) {
                    #expect(!text.contains(canary))
                    #expect(!text.contains(String(canary.prefix(10))))
                    #expect(!text.contains(String(canary.suffix(8))))
                }
            }
        }

        @Test func keyInACustomErrorBodyIsRemoved() async throws {
            let body = #"{"error":{"message":"key \#(canary) was revoked; masked: \#(canary.prefix(8))...\#(canary.suffix(4))"}}"#
            let sim = SimulatedProvider(name: "p", kind: .openai, models: ["m"], behaviour: .status(code: 403, headers: [], body: body))
            try await withSimulator([sim]) { server in
                let outcome = try await probeOnce(settings(server, "p", kind: .openai), key: canary)
                let error = try #require(outcome.error)
                #expect(error.hasPrefix("HTTP 403: key <secret> was revoked"))
                #expect(!error.contains(canary))
                #expect(!error.contains(String(canary.prefix(8))))
                #expect(outcome.reason == .auth)
            }
        }

        /// Credential headers from the configuration (a gateway's token, proxy credentials) are secrets too: a
        /// provider that echoes them must not get them into `error`.
        @Test func echoedCredentialHeadersNeverReachTheError() async throws {
            let token = "gw-token-31c9a7e2b6d0f4"
            let basic = "dXNlcjpodW50ZXIyLWxvbmc="
            let body = #"{"error":{"message":"rejected X-Gateway-Token \#(token), Proxy-Authorization Basic \#(basic), key \#(canary); plain \#(basic)"}}"#
            let sim = SimulatedProvider(name: "p", kind: .openai, models: ["m"], behaviour: .status(code: 401, headers: [], body: body))
            try await withSimulator([sim]) { server in
                var provider = settings(server, "p", kind: .openai)
                provider.headers = ["X-Gateway-Token": token, "Proxy-Authorization": "Basic \(basic)", "X-Title": "my-gateway"]
                let outcome = try await probeOnce(provider, key: canary)
                let error = try #require(outcome.error)
                #expect(error.hasPrefix("HTTP 401: rejected X-Gateway-Token <secret>"), "\(error)")
                for secret in [token, basic, canary, String(token.prefix(8)), String(basic.suffix(8))] {
                    #expect(!error.contains(secret), "\(error)")
                }
                #expect(server.lastRequestHeaders(for: "p").contains { $0.1 == token }, "the header was sent")
            }
        }

        @Test func secretsAreTheKeyAndCredentialHeaderValues() {
            let provider = ProviderSettings(
                name: "p", kind: .openai, baseURL: "http://x",
                headers: ["Authorization": "Bearer tok-123456789", "X-Title": "my-gateway-title", "X-Api-Key": "abc"])
            #expect(provider.secrets(apiKey: canary) == [canary, "Bearer tok-123456789", "tok-123456789"])
        }

        @Test func redactRemovesEveryOccurrenceAndPieces() {
            let text = "a \(canary) b \(canary)c sk-canary-****** and ...5b2d4f60 end"
            let cleaned = redact(text, secret: canary, maxLength: 500)
            #expect(!cleaned.contains(canary))
            #expect(!cleaned.contains("sk-can"))
            #expect(!cleaned.contains("2d4f60"))
            #expect(cleaned.hasPrefix("a <secret> b <secret>c"))
            #expect(cleaned.hasSuffix("end"))
        }

        @Test func redactTruncatesAndFlattens() {
            let cleaned = redact(String(repeating: "x", count: 500) + "\nline", secret: nil, maxLength: 50)
            #expect(cleaned.count == 51)
            #expect(!cleaned.contains("\n"))
        }

        /// Texts that hold no secret and no piece of one come back as they are; every other one loses them. Random
        /// texts of error labels, secret pieces, line breaks and non-ASCII, against several secrets at once.
        @Test func redactLeavesCleanTextsAloneAndCleansTheRest() {
            var generator = SeededGenerator(seed: 31)
            let secrets = [canary, "Bearer tok-123456789", "tok-123456789", "short"]
            let pieces = [
                "RateLimitError", "500", "litellm.Timeout", " ", "APIConnectionError", "sk-can", "2d4f60", canary,
                "tok-12", "456789", "short", "shor", "\n", "\t", "é", "x", "Bearer",
            ]
            for _ in 0..<3_000 {
                let text = (0..<Int.random(in: 0...6, using: &generator)).map { _ in
                    pieces.randomElement(using: &generator)!
                }.joined()
                let cleaned = redact(text, secrets: secrets, maxLength: 80)
                for secret in secrets { #expect(!cleaned.contains(secret), "\(text)") }
                for piece in ["sk-can", "2d4f60", "tok-12", "456789"] { #expect(!cleaned.contains(piece), "\(text)") }
                let holdsNoPiece = !["sk-can", "2d4f60", "tok-12", "456789", "short"].contains { text.contains($0) }
                if holdsNoPiece, text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }), text.count <= 80 {
                    #expect(cleaned == text)
                }
            }
        }

        @Test func secretDescriptionIsHidden() {
            #expect("\(Secret(canary))" == "<secret>")
        }
    }
}
