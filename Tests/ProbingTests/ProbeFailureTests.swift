import Foundation
import HealthCore
import Probing
import ProviderSimulator
import Testing

#if canImport(Glibc)
    import Glibc
#endif

extension NetworkTests {
    @Suite struct ProbeFailureTests {
        @Test func unauthorizedIsAuthAndReachable() async throws {
            try await withSimulator([SimulatedProvider(name: "p", kind: .openai, models: ["m"], behaviour: .unauthorized)]) {
                server in
                let outcome = try await probeOnce(settings(server, "p", kind: .openai, models: ["m", "n"]))
                #expect(outcome.reason == .auth)
                #expect(outcome.statusCode == 401)
                #expect(outcome.providerReachable)
                #expect(outcome.results.count == 2)
                #expect(outcome.results.allSatisfy { !$0.success && $0.reason == .auth && $0.statusCode == 401 })
                #expect(outcome.error?.hasPrefix("HTTP 401") == true)
            }
        }

        @Test func anthropicUnauthorized() async throws {
            try await withSimulator([SimulatedProvider(name: "a", kind: .anthropic, models: ["m"], behaviour: .unauthorized)]) {
                server in
                let outcome = try await probeOnce(settings(server, "a", kind: .anthropic, models: ["m"]))
                #expect(outcome.reason == .auth)
            }
        }

        @Test func rateLimitedParsesHeadersAndRetryAfter() async throws {
            try await withSimulator([SimulatedProvider(name: "p", kind: .openai, models: ["m"], behaviour: .rateLimited)]) {
                server in
                let outcome = try await probeOnce(settings(server, "p", kind: .openai, models: ["m"]))
                #expect(outcome.reason == .rateLimited)
                #expect(outcome.statusCode == 429)
                #expect(outcome.providerReachable)
                #expect(outcome.results.first?.reason == .rateLimited)
                let rateLimit = try #require(outcome.rateLimit)
                #expect(rateLimit.requestsRemainingRatio == 0.02)
                #expect(rateLimit.tokensRemainingRatio == 0.015)
                #expect(rateLimit.retryAfterSeconds == 1)
                #expect(rateLimit.requestsResetSeconds == 1)
                #expect(rateLimit.tokensResetSeconds == 360)
            }
        }

        @Test func anthropicRateLimitHeaders() async throws {
            try await withSimulator([SimulatedProvider(name: "a", kind: .anthropic, models: ["m"], behaviour: .rateLimited)]) {
                server in
                let outcome = try await probeOnce(settings(server, "a", kind: .anthropic))
                let rateLimit = try #require(outcome.rateLimit)
                #expect(rateLimit.requestsRemainingRatio == 0)
                #expect(rateLimit.tokensRemainingRatio == 0.025)
                let reset = try #require(rateLimit.requestsResetSeconds)
                #expect(reset > 20 && reset <= 31)
            }
        }

        @Test func geminiRetryDelayFromTheBody() async throws {
            let body = #"{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"37s"}]}}"#
            let sim = SimulatedProvider(name: "g", kind: .gemini, models: ["m"], behaviour: .status(code: 429, headers: [], body: body))
            try await withSimulator([sim]) { server in
                let outcome = try await probeOnce(settings(server, "g", kind: .gemini, models: ["m"]))
                #expect(outcome.reason == .rateLimited)
                #expect(outcome.rateLimit?.retryAfterSeconds == 37)
            }
        }

        @Test func serverErrorIsHTTP5xxAndUnreachable() async throws {
            let sim = SimulatedProvider(
                name: "p", kind: .openai, models: ["m"], behaviour: .status(code: 500, headers: [], body: "oops"))
            try await withSimulator([sim]) { server in
                let outcome = try await probeOnce(settings(server, "p", kind: .openai, models: ["m"]))
                #expect(outcome.reason == .http5xx)
                #expect(outcome.statusCode == 500)
                #expect(!outcome.providerReachable)
                #expect(outcome.results.first?.reason == .http5xx)
                #expect(outcome.error == "HTTP 500")
            }
        }

        @Test func otherClientErrorIsHTTP4xx() async throws {
            let sim = SimulatedProvider(
                name: "p", kind: .openai, models: ["m"],
                behaviour: .status(code: 404, headers: [], body: #"{"error":{"message":"no such route"}}"#))
            try await withSimulator([sim]) { server in
                let outcome = try await probeOnce(settings(server, "p", kind: .openai))
                #expect(outcome.reason == .http4xx)
                #expect(outcome.providerReachable)
                #expect(outcome.error == "HTTP 404: no such route")
            }
        }

        @Test func badJSONIsBadResponse() async throws {
            try await withSimulator([SimulatedProvider(name: "p", kind: .openai, models: ["m"], behaviour: .badJSON)]) {
                server in
                let outcome = try await probeOnce(settings(server, "p", kind: .openai, models: ["m"]))
                #expect(outcome.reason == .badResponse)
                #expect(outcome.statusCode == 200)
                #expect(!outcome.providerReachable)
                #expect(outcome.results.first?.success == false)
            }
        }

        @Test func connectionRefusedIsConnect() async throws {
            let port = try closedPort()
            let provider = ProviderSettings(
                name: "gone", kind: .openai, baseURL: "http://127.0.0.1:\(port)/v1", models: [ModelSettings(name: "m")],
                timeoutSeconds: 3)
            let outcome = try await probeOnce(provider)
            #expect(outcome.reason == .connect)
            #expect(!outcome.providerReachable)
            #expect(outcome.statusCode == nil)
            #expect(outcome.results.first?.reason == .connect)
            #expect(outcome.error == "connection refused")
        }

        @Test func closedConnectionIsAFailure() async throws {
            try await withSimulator([SimulatedProvider(name: "p", kind: .openai, models: ["m"], behaviour: .closeConnection)]) {
                server in
                let outcome = try await probeOnce(settings(server, "p", kind: .openai))
                #expect(outcome.results.first?.success == false)
                #expect(!outcome.providerReachable)
            }
        }

        @Test(arguments: [SimulatedBehaviour.neverAnswer, .drip(interval: 0.1)])
        func stalledServerTimesOutOnTheDeadline(behaviour: SimulatedBehaviour) async throws {
            try await withSimulator([SimulatedProvider(name: "p", kind: .openai, models: ["m"], behaviour: behaviour)]) {
                server in
                let clock = ContinuousClock()
                let start = clock.now
                let outcome = try await probeOnce(settings(server, "p", kind: .openai, models: ["m"], timeout: 1))
                let elapsed = (clock.now - start).seconds
                #expect(outcome.reason == .timeout)
                #expect(!outcome.providerReachable)
                #expect(outcome.results.first?.latencySeconds == 1)
                #expect(outcome.error == "timed out after 1.0s")
                #expect(elapsed >= 1)
                #expect(elapsed < 1.5)
            }
        }

        @Test func slowAnswerWithinTheDeadlineSucceedsWithItsLatency() async throws {
            let sim = SimulatedProvider(name: "p", kind: .openai, models: ["m"], behaviour: .slow(seconds: 0.3))
            try await withSimulator([sim]) { server in
                let outcome = try await probeOnce(settings(server, "p", kind: .openai, models: ["m"], timeout: 2))
                let result = try #require(outcome.results.first)
                #expect(result.success)
                #expect(result.latencySeconds >= 0.3)
                #expect(result.latencySeconds < 1)
            }
        }

        @Test func slowAnswerPastTheDeadlineTimesOut() async throws {
            let sim = SimulatedProvider(name: "p", kind: .openai, models: ["m"], behaviour: .slow(seconds: 3))
            try await withSimulator([sim]) { server in
                let outcome = try await probeOnce(settings(server, "p", kind: .openai, timeout: 1))
                #expect(outcome.reason == .timeout)
            }
        }

        @Test func redirectToAnotherHostIsNotFollowed() async throws {
            let target = SimulatedProvider(name: "elsewhere", kind: .openai, models: ["m"])
            try await withSimulator([target]) { elsewhere in
                // "localhost" is another host than "127.0.0.1", even on the same port.
                let location = elsewhere.baseURL(for: "elsewhere").replacingOccurrences(of: "127.0.0.1", with: "localhost")
                let redirecting = SimulatedProvider(
                    name: "redirecting", kind: .openai, models: ["m"],
                    behaviour: .status(code: 302, headers: [("location", location + "/models")], body: ""))
                try await withSimulator([redirecting]) { server in
                    let outcome = try await probeOnce(settings(server, "redirecting", kind: .openai))
                    #expect(outcome.results.first?.success == false)
                    #expect(outcome.reason == .badResponse)
                    #expect(outcome.error == "HTTP 302: redirect to another origin, not followed")
                    #expect(elsewhere.requestCount(for: "elsewhere") == 0)
                }
            }
        }

        @Test func redirectOnTheSameOriginIsFollowed() async throws {
            let target = SimulatedProvider(name: "target", kind: .openai, models: ["m"])
            let moved = SimulatedProvider(
                name: "moved", kind: .openai, models: ["m"],
                behaviour: .status(code: 302, headers: [("location", "/target/v1/models")], body: ""))
            try await withSimulator([target, moved]) { server in
                let outcome = try await probeOnce(settings(server, "moved", kind: .openai, models: ["m"]))
                #expect(outcome.results.first?.success == true)
                #expect(server.requestCount(for: "target") == 1)
            }
        }

        @Test func invalidBaseURLIsAFailureNotACrash() async throws {
            let provider = ProviderSettings(name: "bad", kind: .openai, baseURL: "not a url", timeoutSeconds: 1)
            let outcome = try await probeOnce(provider)
            #expect(outcome.results.first?.success == false)
            #expect(outcome.reason == .badResponse)
        }
    }
}

/// A loopback port nothing listens on: bound, then closed.
func closedPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EBADF) }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa -> Bool in
            bind(fd, sa, length) == 0 && getsockname(fd, sa, &length) == 0
        }
    }
    guard bound else { throw POSIXError(.EADDRINUSE) }
    return Int(UInt16(bigEndian: address.sin_port))
}
