import Foundation
import HealthCore
import Probing
import Testing
import TestSupport

/// Probes through a real tinyproxy on 127.0.0.1 to TLS fake providers on loopback.
extension NetworkTests {
    @Suite struct ProxyTests {
        /// A password that must never show up anywhere but in the proxy's own configuration.
        static let canary = "canary-Pr0xy-pw-7f3a9c"

        private func failure(_ result: HTTPProbeResult) -> (FailureReason, String)? {
            if case .failure(let reason, let message, _) = result { return (reason, message) }
            return nil
        }

        private func tlsProvider(body: String = "{\"data\":[]}", name: String = "localhost", host: String = "127.0.0.1")
            async throws -> (FaultyServer, SelfSignedIdentity)
        {
            let identity = try SelfSignedIdentity.make(name: name)
            let server = try await FaultyServer.start(
                .respond(status: 200, headers: [], body: body), tls: try identity.serverContext(), host: host)
            return (server, identity)
        }

        private func send(
            _ url: String, proxyURL: String?, trust: SelfSignedIdentity, environment: ProxyEnvironment = .none,
            timeout: Double = 3
        ) async throws -> (HTTPProbeResult, Double) {
            let client = HTTPProbeClient(additionalTrustRootsPEM: trust.certificatePEM, proxyEnvironment: environment)
            let started = ContinuousClock.now
            let result = try await client.send(HTTPProbeRequest(url: url, timeoutSeconds: timeout, proxyURL: proxyURL))
            let elapsed = (ContinuousClock.now - started).seconds
            // tinyproxy waits for its open tunnels before it exits.
            client.closeIdleConnections()
            return (result, elapsed)
        }

        @Test func aTLSProviderIsReachedThroughTheProxysConnectTunnel() async throws {
            let proxy = try Tinyproxy()
            defer { proxy.stop() }
            let (server, identity) = try await tlsProvider()
            let (result, _) = try await send(server.httpsBaseURL + "/v1/models", proxyURL: proxy.url(), trust: identity)
            await server.shutdown()
            #expect(result.response?.statusCode == 200)
            #expect(result.response?.body == Array("{\"data\":[]}".utf8))
            // TLS ran inside the tunnel with the provider's name: the certificate for localhost was accepted.
            #expect(proxy.requests == ["CONNECT localhost:\(server.port) HTTP/1.1"])
        }

        @Test func aPlainHTTPProviderIsReachedByAnAbsoluteFormRequestToTheProxy() async throws {
            let proxy = try Tinyproxy(basicAuth: ("probe", Self.canary))
            defer { proxy.stop() }
            let server = try await FaultyServer.start(.respond(status: 200, headers: [], body: "{}"))
            let client = HTTPProbeClient(proxyEnvironment: .none)
            let url = server.baseURL + "/v1/models"
            let good = try await client.send(
                HTTPProbeRequest(url: url, timeoutSeconds: 3, proxyURL: proxy.url(user: "probe", password: Self.canary)))
            let bad = try await client.send(
                HTTPProbeRequest(url: url, timeoutSeconds: 3, proxyURL: proxy.url(user: "probe", password: "wrong")))
            client.closeIdleConnections()
            await server.shutdown()
            #expect(good.response?.statusCode == 200)
            #expect(proxy.requests.first == "GET \(url) HTTP/1.1")
            // tinyproxy answers wrong credentials on a plain request with 401, which is indistinguishable from the
            // provider's own 401: only a 407 is known to be the proxy's there.
            #expect(bad.response?.statusCode == 401)
            #expect(server.connectionsAccepted == 1)
        }

        @Test func theEnvironmentsProxyIsUsedAndNoProxyBypassesIt() async throws {
            // Go never proxies "localhost" nor loopback IPs: the machine's own name is what NO_PROXY decides for.
            let own = try #require(
                ownHostNameAndAddress(), "the proxy tests need this machine's host name to resolve (see /etc/hosts)")
            let proxy = try Tinyproxy()
            defer { proxy.stop() }
            let (server, identity) = try await tlsProvider(name: own.name, host: own.address)
            let url = "https://\(own.name):\(server.port)/v1/models"
            let proxied = ProxyEnvironment(["HTTPS_PROXY": proxy.url(), "NO_PROXY": "example.com"])
            let (through, _) = try await send(url, proxyURL: nil, trust: identity, environment: proxied)
            #expect(through.response?.statusCode == 200)
            #expect(proxy.requests == ["CONNECT \(own.name):\(server.port) HTTP/1.1"])

            let exempt = ProxyEnvironment(["https_proxy": proxy.url(), "no_proxy": "example.com, .\(own.name), \(own.name)"])
            let (direct, _) = try await send(url, proxyURL: nil, trust: identity, environment: exempt)
            await server.shutdown()
            #expect(direct.response?.statusCode == 200)
            #expect(proxy.requests.count == 1, "the proxy saw no request for a NO_PROXY host")
            #expect(server.connectionsAccepted == 2)
        }

        @Test func proxyCredentialsWorkAndAWrongPasswordIsAProxyFailureThatNeverShowsThePassword() async throws {
            let proxy = try Tinyproxy(basicAuth: ("probe", Self.canary))
            defer { proxy.stop() }
            let (server, identity) = try await tlsProvider()
            let url = server.httpsBaseURL + "/v1/models"
            let (good, _) = try await send(url, proxyURL: proxy.url(user: "probe", password: Self.canary), trust: identity)
            #expect(good.response?.statusCode == 200)

            let (bad, elapsed) = try await send(url, proxyURL: proxy.url(user: "probe", password: "wrong-password"), trust: identity)
            #expect(failure(bad)?.0 == .proxy)
            // tinyproxy answers 401 where RFC 9110 says 407; either is the proxy's.
            #expect(failure(bad)?.1.hasSuffix("(proxy authentication required)") == true)
            #expect(elapsed < 1)

            // Through a whole probe: the outcome, its results and the settings' descriptions keep the password out.
            var provider = ProviderSettings(name: "p", kind: .openai, baseURL: server.httpsBaseURL + "/v1", models: [ModelSettings(name: "m")])
            provider.proxyURL = Secret(proxy.url(user: "probe", password: Self.canary + "-wrong"))
            let client = HTTPProbeClient(additionalTrustRootsPEM: identity.certificatePEM, proxyEnvironment: .none)
            let outcome = try await makeProber(for: .openai, client: client).probe(provider, apiKey: Secret("sk-test-key-0123456789"))
            client.closeIdleConnections()
            await server.shutdown()
            #expect(outcome.reason == .proxy)
            #expect(outcome.results.allSatisfy { $0.reason == .proxy })
            let texts = [outcome.error ?? "", String(describing: outcome), String(reflecting: outcome),
                         String(describing: provider), String(reflecting: provider),
                         String(describing: try ProbeProxy.parse(proxy.url(user: "probe", password: Self.canary)).get())]
            for text in texts { #expect(!text.contains(Self.canary)) }
            #expect(String(describing: try ProbeProxy.parse(proxy.url(user: "probe", password: Self.canary)).get())
                == "http://probe:<secret>@127.0.0.1:\(proxy.port)")
        }

        @Test func aProxyThatRefusesConnectionsIsAProxyFailureAtOnce() async throws {
            let port = try closedPort()
            let (server, identity) = try await tlsProvider()
            let (result, elapsed) = try await send(
                server.httpsBaseURL + "/v1/models", proxyURL: "127.0.0.1:\(port)", trust: identity)
            await server.shutdown()
            #expect(failure(result)?.0 == .proxy)
            #expect(failure(result)?.1 == "proxy: connection refused")
            #expect(elapsed < 1)
            #expect(server.connectionsAccepted == 0)
        }

        @Test func aProxyThatAcceptsAndNeverAnswersIsAProxyFailureByTheDeadline() async throws {
            let hanging = try await FaultyServer.start(.hangAfterAccept)
            let (server, identity) = try await tlsProvider()
            let (result, elapsed) = try await send(
                server.httpsBaseURL + "/v1/models", proxyURL: hanging.baseURL, trust: identity, timeout: 1)
            await hanging.shutdown()
            await server.shutdown()
            #expect(failure(result)?.0 == .proxy)
            #expect(failure(result)?.1 == "proxy did not answer: timed out after 1.0s")
            #expect(result.latencySeconds == 1)
            // Ended by the deadline, not by the proxy (generous: the machine may be busy).
            #expect(elapsed >= 1 && elapsed < 3)
        }

        @Test(arguments: [403, 502, 503])
        func aProxyThatAnswersConnectWithAnErrorIsAProxyFailure(status: Int) async throws {
            let refusing = try await FaultyServer.start(.respond(status: status, headers: [], body: "no"))
            let (server, identity) = try await tlsProvider()
            let (result, _) = try await send(server.httpsBaseURL + "/v1/models", proxyURL: refusing.baseURL, trust: identity)
            await refusing.shutdown()
            await server.shutdown()
            #expect(failure(result)?.0 == .proxy)
            #expect(failure(result)?.1.hasPrefix("proxy answered \(status)") == true)
            #expect(server.connectionsAccepted == 0)
        }

        @Test func unsupportedProxySchemesFailAsProxyWithoutTryingToConnect() async throws {
            let (server, identity) = try await tlsProvider()
            let (socks, _) = try await send(
                server.httpsBaseURL + "/", proxyURL: "socks5://user:\(Self.canary)@127.0.0.1:1080", trust: identity)
            let environment = ProxyEnvironment(["HTTPS_PROXY": "https://127.0.0.1:3128"])
            let (https, _) = try await send(
                "https://provider.example:\(server.port)/", proxyURL: nil, trust: identity, environment: environment)
            await server.shutdown()
            #expect(failure(socks)?.0 == .proxy)
            #expect(failure(socks)?.1.contains("socks5:// proxies are not supported") == true)
            #expect(failure(socks)?.1.contains(Self.canary) == false)
            #expect(failure(https)?.0 == .proxy)
            #expect(failure(https)?.1.hasPrefix("proxy setting unusable: HTTPS_PROXY") == true)
        }

        /// Direct and proxied probes of two providers at once, through a working proxy, one that refuses every
        /// connection and one that refuses the credentials: every probe gets its own route's answer, so no
        /// pooled connection or tunnel ever carried a probe of another route.
        @Test func aThousandProbesOfMixedRoutesEachGetTheirOwnRoutesAnswer() async throws {
            let proxy = try Tinyproxy(basicAuth: ("probe", Self.canary))
            defer { proxy.stop() }
            let identity = try SelfSignedIdentity.make()
            let context = try identity.serverContext()
            let first = try await FaultyServer.start(.respond(status: 200, headers: [], body: "first"), tls: context)
            let second = try await FaultyServer.start(.respond(status: 200, headers: [], body: "second"), tls: context)
            let deadPort = try closedPort()
            enum Route: CaseIterable { case direct, proxied, deadProxy, wrongPassword }
            var generator = SeededGenerator(seed: 12)
            let plan = (0..<1000).map { _ in (Route.allCases.randomElement(using: &generator)!, Bool.random(using: &generator)) }
            let client = HTTPProbeClient(additionalTrustRootsPEM: identity.certificatePEM, proxyEnvironment: .none)
            let good = proxy.url(user: "probe", password: Self.canary)
            let wrong = proxy.url(user: "probe", password: "not-the-password")
            // What the test is about: an answer another route gave (the other server's body, a proxy's answer to a
            // direct probe, a response through a proxy that cannot give one). Loopback under a loaded machine may
            // still fail a probe on its own route once in a while (a reset, a timeout): at most 2 in 1,000.
            enum Answer: Sendable { case expected, anotherRoutes(String), ownRoutesFailure(String) }
            let answers = await withTaskGroup(of: Answer.self) { group in
                var next = 0
                var answers: [Answer] = []
                func add(_ index: Int) {
                    let (route, toFirst) = plan[index]
                    let server = toFirst ? first : second
                    let proxyURL: String? =
                        switch route {
                        case .direct: nil
                        case .proxied: good
                        case .deadProxy: "http://127.0.0.1:\(deadPort)"
                        case .wrongPassword: wrong
                        }
                    group.addTask {
                        let result = try? await client.send(
                            HTTPProbeRequest(url: server.httpsBaseURL + "/v1/models", timeoutSeconds: 5, proxyURL: proxyURL))
                        let body = Array((toFirst ? "first" : "second").utf8)
                        let described = "probe \(index) (\(route), \(toFirst ? "first" : "second")): \(String(describing: result))"
                        switch (route, result) {
                        case (.direct, .response(let response, _)?), (.proxied, .response(let response, _)?):
                            return response.body == body ? .expected : .anotherRoutes(described)
                        case (.direct, .failure(.proxy, _, _)?), (.deadProxy, .response?), (.wrongPassword, .response?):
                            return .anotherRoutes(described)
                        case (.deadProxy, .failure(.proxy, let message, _)?) where message == "proxy: connection refused":
                            return .expected
                        case (.wrongPassword, .failure(.proxy, let message, _)?)
                        where message.hasSuffix("(proxy authentication required)"):
                            return .expected
                        default:
                            return .ownRoutesFailure(described)
                        }
                    }
                }
                // 16 at a time: well under the proxy's 64 clients.
                while next < min(16, plan.count) {
                    add(next)
                    next += 1
                }
                while let answer = await group.next() {
                    answers.append(answer)
                    if next < plan.count {
                        add(next)
                        next += 1
                    }
                }
                return answers
            }
            client.closeIdleConnections()
            await first.shutdown()
            await second.shutdown()
            let crossed = answers.compactMap { if case .anotherRoutes(let text) = $0 { text } else { nil } }
            let failed = answers.compactMap { if case .ownRoutesFailure(let text) = $0 { text } else { nil } }
            #expect(answers.count == plan.count)
            #expect(crossed.isEmpty, "answers of another route: \(crossed.prefix(5))")
            #expect(failed.count <= 2, "\(failed.count) probes failed on their own route: \(failed.prefix(5))")
            let tunnels = proxy.requests.filter { $0.hasPrefix("CONNECT ") }
            #expect(!tunnels.isEmpty)
            #expect(tunnels.allSatisfy { $0 == "CONNECT localhost:\(first.port) HTTP/1.1" || $0 == "CONNECT localhost:\(second.port) HTTP/1.1" })
        }
    }
}
