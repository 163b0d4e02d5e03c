import Foundation
import HealthCore
import NIOSSL
import Probing
import Testing

/// Probes through a real tinyproxy (installed by scripts/install-deps.sh --test; required under CI).
extension NetworkTests {
    @Suite(.enabled(if: Tinyproxy.isInstalled || ProcessInfo.processInfo.environment["CI"] != nil))
    struct ProxyTests {
        private func get(_ url: String, through proxy: ProbeProxy, timeout: Double = 2, trust: [UInt8]? = nil)
            async throws -> (HTTPProbeResult, Double)
        {
            let client = HTTPProbeClient(additionalTrustRootsPEM: trust, proxy: proxy)
            let started = ContinuousClock.now
            let result = try await client.send(HTTPProbeRequest(url: url, timeoutSeconds: timeout))
            return (result, (ContinuousClock.now - started).seconds)
        }

        private func failure(_ result: HTTPProbeResult) -> (FailureReason, String)? {
            if case .failure(let reason, let message, _) = result { return (reason, message) }
            return nil
        }

        private func environment(_ proxy: Tinyproxy, user: String? = nil, password: String? = nil, noProxy: String = "")
            -> ProbeProxy
        {
            let url = proxy.url(user: user, password: password)
            return ProbeProxy.fromEnvironment(["HTTPS_PROXY": url, "HTTP_PROXY": url, "NO_PROXY": noProxy]).proxy
        }

        @Test func anHTTPProviderIsProbedThroughTheProxyWithCredentials() async throws {
            let proxy = try Tinyproxy(basicAuth: ("probe", "s3cret"))
            defer { proxy.stop() }
            let server = try await FaultyServer.start(.respond(status: 200, headers: [], body: "{\"data\":[]}"))
            let (result, _) = try await get(
                server.baseURL + "/v1/models", through: environment(proxy, user: "probe", password: "s3cret"))
            await server.shutdown()
            #expect(result.response?.statusCode == 200)
            #expect(result.response?.body == Array("{\"data\":[]}".utf8))
            #expect(proxy.tunnelsRequested == ["127.0.0.1:\(server.port)"])
        }

        @Test func anHTTPSProviderIsTunnelledAndItsCertificateChecked() async throws {
            let proxy = try Tinyproxy()
            defer { proxy.stop() }
            let identity = try SelfSignedIdentity.make()
            let context = try NIOSSLContext(
                configuration: .makeServerConfiguration(
                    certificateChain: [.certificate(try NIOSSLCertificate(bytes: identity.certificatePEM, format: .pem))],
                    privateKey: .privateKey(try NIOSSLPrivateKey(bytes: identity.keyPEM, format: .pem))))
            let server = try await FaultyServer.start(.respond(status: 200, headers: [], body: "{}"), tls: context)
            let url = server.httpsBaseURL + "/v1/models"
            let (trusted, _) = try await get(url, through: environment(proxy), trust: identity.certificatePEM)
            let (untrusted, _) = try await get(url, through: environment(proxy))
            await server.shutdown()
            #expect(trusted.response?.statusCode == 200)
            #expect(failure(untrusted)?.0 == .tls)
            #expect(proxy.tunnelsRequested == ["localhost:\(server.port)", "localhost:\(server.port)"])
        }

        @Test func wrongProxyCredentialsAreAConnectFailure() async throws {
            let proxy = try Tinyproxy(basicAuth: ("probe", "s3cret"))
            defer { proxy.stop() }
            let server = try await FaultyServer.start(.respond(status: 200, headers: [], body: "{}"))
            let (result, elapsed) = try await get(
                server.baseURL + "/v1/models", through: environment(proxy, user: "probe", password: "wrong"))
            await server.shutdown()
            #expect(failure(result)?.0 == .connect)
            #expect(failure(result)?.1 == "proxy authentication required")
            #expect(elapsed < 1)
            #expect(server.connectionsAccepted == 0)
        }

        @Test func aProviderTheProxyCannotReachIsAConnectFailure() async throws {
            let proxy = try Tinyproxy()
            defer { proxy.stop() }
            let port = try closedPort()
            let (result, elapsed) = try await get("http://127.0.0.1:\(port)/v1/models", through: environment(proxy))
            #expect(failure(result)?.0 == .connect)
            #expect(failure(result)?.1 == "proxy refused the tunnel")
            #expect(elapsed < 1)
        }

        @Test func aProxyThatIsDownIsAConnectFailure() async throws {
            let port = try closedPort()
            let proxy = ProbeProxy(httpServer: .init(host: "127.0.0.1", port: port))
            let (result, _) = try await get("http://127.0.0.1:1/v1/models", through: proxy)
            #expect(failure(result)?.0 == .connect)
            #expect(failure(result)?.1 == "connection refused")
        }

        @Test func aHangingProviderBehindTheProxyEndsAtTheDeadline() async throws {
            let proxy = try Tinyproxy()
            defer { proxy.stop() }
            let server = try await FaultyServer.start(.hangAfterAccept)
            let (result, elapsed) = try await get(server.baseURL + "/v1/models", through: environment(proxy), timeout: 1)
            await server.shutdown()
            #expect(failure(result)?.0 == .timeout)
            #expect(failure(result)?.1 == "timed out after 1.0s")
            #expect(elapsed >= 1 && elapsed < 1.5)
            #expect(server.connectionsAccepted == 1)
        }

        @Test func noProxyHostsAreReachedDirectly() async throws {
            let proxy = try Tinyproxy()
            defer { proxy.stop() }
            let server = try await FaultyServer.start(.respond(status: 200, headers: [], body: "{}"))
            let (result, _) = try await get(
                server.baseURL + "/v1/models", through: environment(proxy, noProxy: "localhost,127.0.0.1"))
            await server.shutdown()
            #expect(result.response?.statusCode == 200)
            #expect(proxy.tunnelsRequested.isEmpty)
            #expect(server.connectionsAccepted == 1)
        }
    }
}
