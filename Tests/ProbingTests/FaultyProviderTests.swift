import Foundation
import HealthCore
import NIOSSL
import Probing
import ProviderSimulator
import Testing

/// Providers that fail at the byte level: every probe ends by its deadline, with the reason that says
/// what broke, and the process stays up.
extension NetworkTests {
    @Suite struct FaultyProviderTests {
        /// Sends one GET to `url` and measures how long the client took.
        private func get(
            _ url: String, timeout: Double = 1, client: HTTPProbeClient = HTTPProbeClient()
        ) async throws -> (HTTPProbeResult, Double) {
            let started = ContinuousClock.now
            let result = try await client.send(HTTPProbeRequest(url: url, timeoutSeconds: timeout))
            return (result, (ContinuousClock.now - started).seconds)
        }

        private func failure(_ result: HTTPProbeResult) -> (FailureReason, String)? {
            if case .failure(let reason, let message, _) = result { return (reason, message) }
            return nil
        }

        /// Waits up to `seconds` for `condition`, for what the client does just after a result (closing a socket).
        private func eventually(within seconds: Double = 1, _ condition: () -> Bool) async -> Bool {
            let end = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
            while !condition() {
                guard ContinuousClock.now < end else { return false }
                try? await Task.sleep(for: .milliseconds(10))
            }
            return true
        }

        private func withFault<T: Sendable>(
            _ fault: FaultyServer.Fault, _ body: (FaultyServer) async throws -> T
        ) async throws -> T {
            try await FaultyServer.start(fault).serving(body)
        }

        @Test func hangAfterAcceptEndsAtTheDeadline() async throws {
            try await withFault(.hangAfterAccept) { server in
                let (result, elapsed) = try await get(server.baseURL + "/v1/models")
                #expect(failure(result)?.0 == .timeout)
                #expect(failure(result)?.1 == "timed out after 1.0s")
                #expect(result.latencySeconds == 1)
                #expect(elapsed >= 1 && elapsed < 1.5)
            }
        }

        @Test func dripOneByteASecondEndsAtTheDeadline() async throws {
            try await withFault(.drip(interval: 1)) { server in
                let (result, elapsed) = try await get(server.baseURL + "/v1/models", timeout: 2)
                #expect(failure(result)?.0 == .timeout)
                #expect(elapsed >= 2 && elapsed < 2.5)
            }
        }

        @Test func closeMidBodyIsACutShortResponse() async throws {
            try await withFault(.closeMidBody(announced: 10_000, sent: 100)) { server in
                let (result, elapsed) = try await get(server.baseURL + "/v1/models")
                #expect(failure(result)?.0 == .badResponse)
                #expect(failure(result)?.1 == "response cut short")
                #expect(elapsed < 0.5)
            }
        }

        /// The case that ended the process under URLSession on Linux.
        @Test func closeMidHeadersIsABadResponseNotACrash() async throws {
            try await withFault(.closeMidHeaders) { server in
                let (result, elapsed) = try await get(server.baseURL + "/v1/models")
                #expect(failure(result)?.0 == .badResponse)
                #expect(elapsed < 0.5)
            }
        }

        @Test func invalidJSONIsABadResponse() async throws {
            try await withFault(.respond(status: 200, headers: [("Content-Type", "application/json")], body: "{\"data\": [")) {
                server in
                let provider = ProviderSettings(
                    name: "p", kind: .openai, baseURL: server.baseURL + "/v1", models: [ModelSettings(name: "m")],
                    timeoutSeconds: 1)
                let outcome = try await probeOnce(provider)
                #expect(outcome.reason == .badResponse)
                #expect(outcome.statusCode == 200)
                #expect(outcome.results.first?.success == false)
            }
        }

        @Test func hugeAnnouncedBodyIsRefusedWithoutReadingIt() async throws {
            try await withFault(.hugeBody(bytes: 100 << 20)) { server in
                let (result, elapsed) = try await get(server.baseURL + "/v1/models", timeout: 5)
                #expect(failure(result)?.0 == .badResponse)
                #expect(failure(result)?.1 == "response body over \(16 << 20) bytes")
                #expect(elapsed < 1)
                // Not read to the end in the background either: the connection is closed.
                #expect(await eventually { server.connectionsOpen == 0 })
            }
        }

        @Test func endlessChunkedBodyStopsAtTheLimit() async throws {
            try await withFault(.endlessChunks) { server in
                let client = HTTPProbeClient(maxBodyBytes: 4 << 20)
                let (result, elapsed) = try await get(server.baseURL + "/v1/models", timeout: 5, client: client)
                #expect(failure(result)?.0 == .badResponse)
                #expect(failure(result)?.1 == "response body over \(4 << 20) bytes")
                #expect(elapsed < 5)
                #expect(await eventually { server.connectionsOpen == 0 })
            }
        }

        @Test func redirectToItselfIsALoop() async throws {
            try await withFault(.redirectLoop(selfLoop: true)) { server in
                let (result, _) = try await get(server.baseURL + "/v1/models")
                #expect(failure(result)?.0 == .badResponse)
                #expect(failure(result)?.1 == "redirect loop")
            }
        }

        @Test func endlessRedirectChainStopsAfterTheLimit() async throws {
            try await withFault(.redirectLoop(selfLoop: false)) { server in
                let (result, _) = try await get(server.baseURL + "/loop/0")
                #expect(failure(result)?.0 == .badResponse)
                #expect(failure(result)?.1 == "too many redirects")
                // One kept-alive connection carried the whole chain.
                #expect(server.connectionsAccepted == 1)
            }
        }

        @Test func bytesThatAreNotHTTPAreABadResponse() async throws {
            try await withFault(.garbage) { server in
                let (result, elapsed) = try await get(server.baseURL + "/v1/models")
                #expect(failure(result)?.0 == .badResponse)
                #expect(elapsed < 0.5)
            }
        }

        @Test func tlsToAPlainPortIsATLSFailure() async throws {
            try await withSimulator([SimulatedProvider(name: "p", kind: .openai, models: ["m"])]) { server in
                let plain = server.baseURL(for: "p")
                let url = plain.replacingOccurrences(of: "http://", with: "https://") + "/models"
                let (result, elapsed) = try await get(url, timeout: 2)
                #expect(failure(result)?.0 == .tls)
                #expect(failure(result)?.1 == "TLS handshake failed")
                #expect(elapsed < 2.5)
            }
        }

        @Test func unresolvableNameIsADNSFailure() async throws {
            let (result, elapsed) = try await get("http://provider-health-exporter-test.invalid/v1/models", timeout: 3)
            #expect(failure(result)?.0 == .dns)
            #expect(failure(result)?.1 == "DNS lookup failed")
            #expect(elapsed < 3.5)
        }

        @Test func connectionRefusedIsAConnectFailure() async throws {
            let port = try closedPort()
            let (result, _) = try await get("http://127.0.0.1:\(port)/v1/models")
            #expect(failure(result)?.0 == .connect)
            #expect(failure(result)?.1 == "connection refused")
        }

        @Test func aThousandHangingProvidersAllEndByTheirDeadline() async throws {
            try await withFault(.hangAfterAccept) { server in
                let client = HTTPProbeClient(maxConnectionsPerHost: 1_024)
                let started = ContinuousClock.now
                let results = try await withThrowingTaskGroup(of: HTTPProbeResult.self) { group in
                    for index in 0..<1_000 {
                        group.addTask {
                            try await client.send(
                                HTTPProbeRequest(url: server.baseURL + "/p\(index)/v1/models", timeoutSeconds: 2))
                        }
                    }
                    var all: [HTTPProbeResult] = []
                    for try await result in group { all.append(result) }
                    return all
                }
                let elapsed = (ContinuousClock.now - started).seconds
                #expect(results.count == 1_000)
                #expect(results.allSatisfy { failure($0)?.0 == .timeout })
                #expect(elapsed >= 2 && elapsed < 4)
                // Every request opened its own connection (the client queued none). The fake's accept loop may lag
                // behind the kernel on a loaded machine: it accepts the last of them soon after.
                #expect(await eventually(within: 5) { server.connectionsAccepted == 1_000 }, "\(server.connectionsAccepted)")
                // Every timed-out connection was closed.
                #expect(await eventually { server.connectionsOpen == 0 })
            }
        }

        @Test func requestsOverTheConnectionCapWaitAndStillMeetTheirDeadline() async throws {
            try await withFault(.hangAfterAccept) { server in
                let client = HTTPProbeClient(maxConnectionsPerHost: 2)
                let started = ContinuousClock.now
                async let acceptedWhileWaiting: Int = {
                    // Counted before the deadline: at the deadline the first two give their slots to waiters, which
                    // may open a connection in the instant before their own (microseconds later) deadline.
                    try? await Task.sleep(for: .milliseconds(800))
                    return server.connectionsAccepted
                }()
                let results = try await withThrowingTaskGroup(of: HTTPProbeResult.self) { group in
                    for _ in 0..<10 {
                        group.addTask {
                            try await client.send(HTTPProbeRequest(url: server.baseURL + "/v1/models", timeoutSeconds: 1))
                        }
                    }
                    var all: [HTTPProbeResult] = []
                    for try await result in group { all.append(result) }
                    return all
                }
                #expect(results.allSatisfy { failure($0)?.0 == .timeout })
                #expect((ContinuousClock.now - started).seconds < 1.5)
                #expect(await acceptedWhileWaiting == 2)
            }
        }

        @Test func keepAliveConnectionsAreReused() async throws {
            try await withFault(.respond(status: 200, headers: [], body: "{}")) { server in
                let client = HTTPProbeClient()
                for _ in 0..<5 {
                    let (result, _) = try await get(server.baseURL + "/v1/models", client: client)
                    #expect(result.response?.statusCode == 200)
                    #expect(result.response?.body == Array("{}".utf8))
                }
                #expect(server.connectionsAccepted == 1)
            }
        }

        @Test func aConnectionTheServerClosedIsReplacedOnce() async throws {
            // `Connection: close` answers: the client must not send a second request on a closed connection.
            try await withFault(.respond(status: 200, headers: [("Connection", "close")], body: "{}")) { server in
                let client = HTTPProbeClient()
                for _ in 0..<3 {
                    let (result, _) = try await get(server.baseURL + "/v1/models", client: client)
                    #expect(result.response?.statusCode == 200)
                }
                #expect(server.connectionsAccepted == 3)
            }
        }

        @Test func aKeptAliveConnectionClosedAsTheRequestGoesOutIsReplacedOnce() async throws {
            try await withFault(.closeOnRequest(2)) { server in
                let client = HTTPProbeClient()
                let (first, _) = try await get(server.baseURL + "/v1/models", client: client)
                #expect(first.response?.statusCode == 200)
                // Sent on the kept-alive connection, which the server closes without an answer: sent again on a new one.
                let (second, _) = try await get(server.baseURL + "/v1/models", client: client)
                #expect(second.response?.statusCode == 200)
                #expect(server.connectionsAccepted == 2)
            }
        }

        @Test func aServerThatClosesEveryConnectionUnansweredIsAConnectFailure() async throws {
            // Accepts, reads the request, closes: a new connection is not retried (only a kept-alive one is), so this
            // is a failure at once, not a loop to the deadline.
            try await withFault(.closeOnRequest(1)) { server in
                let (result, elapsed) = try await get(server.baseURL + "/v1/models", timeout: 2)
                #expect(failure(result)?.0 == .connect)
                #expect(failure(result)?.1 == "connection closed without a response")
                #expect(server.connectionsAccepted == 1)
                #expect(elapsed < 0.5)
            }
        }

        @Test func headerInjectionFromAConfigurationIsRefused() async throws {
            let client = HTTPProbeClient()
            let result = try await client.send(
                HTTPProbeRequest(
                    url: "http://127.0.0.1:1/v1/models", headers: [("X-Extra", "a\r\nInjected: yes")], timeoutSeconds: 1))
            #expect(failure(result)?.0 == .badResponse)
            #expect(failure(result)?.1 == "invalid request header")
        }

        @Test func httpsWithATrustedCertificateWorks() async throws {
            let identity = try SelfSignedIdentity.make()
            let context = try NIOSSLContext(
                configuration: .makeServerConfiguration(
                    certificateChain: [.certificate(try NIOSSLCertificate(bytes: identity.certificatePEM, format: .pem))],
                    privateKey: .privateKey(try NIOSSLPrivateKey(bytes: identity.keyPEM, format: .pem))))
            let server = try await FaultyServer.start(.respond(status: 200, headers: [], body: "{\"data\":[]}"), tls: context)

            let trusting = HTTPProbeClient(additionalTrustRootsPEM: identity.certificatePEM)
            let (trusted, _) = try await get(server.httpsBaseURL + "/v1/models", timeout: 3, client: trusting)
            #expect(trusted.response?.statusCode == 200)
            #expect(trusted.response?.body == Array("{\"data\":[]}".utf8))

            let (untrusted, _) = try await get(server.httpsBaseURL + "/v1/models", timeout: 3)
            #expect(failure(untrusted)?.0 == .tls)
            await server.shutdown()
        }
    }
}

/// A throwaway certificate for `localhost` and 127.0.0.1 (or another name), made by the openssl command line tool.
struct SelfSignedIdentity {
    var certificatePEM: [UInt8]
    var keyPEM: [UInt8]

    /// A server context presenting this certificate.
    func serverContext() throws -> NIOSSLContext {
        try NIOSSLContext(
            configuration: .makeServerConfiguration(
                certificateChain: [.certificate(try NIOSSLCertificate(bytes: certificatePEM, format: .pem))],
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: keyPEM, format: .pem))))
    }

    static func make(name: String = "localhost") throws -> SelfSignedIdentity {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("phe-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificate = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
            "-subj", "/CN=\(name)", "-addext", "subjectAltName=DNS:\(name),IP:127.0.0.1",
            "-keyout", key, "-out", certificate,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
        return SelfSignedIdentity(
            certificatePEM: Array(try Data(contentsOf: URL(fileURLWithPath: certificate))),
            keyPEM: Array(try Data(contentsOf: URL(fileURLWithPath: key))))
    }
}
