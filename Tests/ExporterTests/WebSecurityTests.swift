import Exporter
import ExporterConfig
import ExporterServer
import Foundation
import HummingbirdBcrypt
import Logging
import NIOPosix
import Testing

/// Runs a program and returns its exit status and standard output (standard error is dropped).
@discardableResult
func runProgram(_ arguments: [String], input: String? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    process.standardInput = input == nil ? FileHandle.nullDevice : Pipe()
    try process.run()
    if let input, let pipe = process.standardInput as? Pipe {
        pipe.fileHandleForWriting.write(Data(input.utf8))
        try pipe.fileHandleForWriting.close()
    }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Certificates made with the `openssl` CLI: a CA, server certificates it signs for 127.0.0.1/::1/localhost, a
/// client certificate it signs, and a self-signed client certificate it does not know.
struct TestPKI {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("web-security-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                     "-keyout", path("ca.key"), "-out", path("ca.crt"), "-subj", "/CN=test-ca"])
        try issue("first", extensions: "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
        try issue("second", extensions: "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
        try issue("client", extensions: "extendedKeyUsage=clientAuth\n")
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                     "-keyout", path("rogue.key"), "-out", path("rogue.crt"), "-subj", "/CN=rogue",
                     "-addext", "extendedKeyUsage=clientAuth"])
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// `name.crt`/`name.key` with subject CN=name, signed by the CA.
    private func issue(_ name: String, extensions: String) throws {
        try Data(extensions.utf8).write(to: URL(fileURLWithPath: path("\(name).ext")))
        try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", path("\(name).key"),
                     "-out", path("\(name).csr"), "-subj", "/CN=\(name)"])
        try openssl(["x509", "-req", "-in", path("\(name).csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key"),
                     "-CAcreateserial", "-days", "2", "-out", path("\(name).crt"), "-extfile", path("\(name).ext")])
    }

    private func openssl(_ arguments: [String]) throws {
        let (status, _) = try runProgram(["openssl"] + arguments)
        if status != 0 { throw POSIXError(.EINVAL) }
    }

    /// Copies `name.crt`/`name.key` to the paths the server loads (`server.crt`/`server.key`).
    func install(_ name: String) throws {
        for suffix in ["crt", "key"] {
            let data = try Data(contentsOf: URL(fileURLWithPath: path("\(name).\(suffix)")))
            try data.write(to: URL(fileURLWithPath: path("server.\(suffix)")))
        }
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

/// What curl saw: the status (0 when no HTTP response came, e.g. a failed handshake), headers and body.
struct CurlAnswer {
    var status: Int
    var headers: String
    var body: String
}

/// curl on a thread of NIO's pool: waiting for a process must not hold one of the few threads of Swift's
/// cooperative pool, which the server's async routes need to answer it.
func curl(_ url: String, _ extra: [String] = []) async throws -> CurlAnswer {
    let (_, output) = try await NIOThreadPool.singleton.runIfActive { try runProgram(
        ["curl", "-s", "-g", "--max-time", "20", "-D", "-", "-w", "\n%{http_code}"] + extra + [url]) }
    let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
    let status = Int(lines.last ?? "") ?? 0
    let text = lines.dropLast().joined(separator: "\n")
    let parts = text.components(separatedBy: "\r\n\r\n")
    return CurlAnswer(status: status, headers: parts.first ?? "", body: parts.dropFirst().joined(separator: "\r\n\r\n"))
}

/// Starts the exporter's HTTP side (no probing: `run()` is not called) and stops it after `body`.
func withExporter(
    _ configure: (inout ExporterOptions) throws -> Void, _ body: (ExporterApplication) async throws -> Void
) async throws {
    var options = ExporterOptions()
    options.historyPath = nil
    options.environment = [:]
    options.listenAddresses = ["127.0.0.1:0"]
    try configure(&options)
    let app = try await ExporterApplication.start(options, logger: Logger(label: "test"))
    do {
        try await body(app)
    } catch {
        await app.server.shutdown()
        throw error
    }
    await app.server.shutdown()
}

/// A configuration with one provider (never probed here), so that outcomes for it are accepted.
func writeOneProviderConfig(in directory: URL) throws -> String {
    let path = directory.appendingPathComponent("config.yml").path
    try Data("providers:\n  - name: alpha\n    kind: openai\n    base_url: http://127.0.0.1:9/v1\n".utf8)
        .write(to: URL(fileURLWithPath: path))
    return path
}

let oneOutcome = #"[{"provider":"alpha","model":"m","success":true,"latency_seconds":0.1,"status_code":200}]"#

@Suite(.serialized) struct WebSecurityTests {
    static let password = "correct horse battery staple"
    /// Cost 4: the lowest bcrypt allows, so that the tests spend their time on the server, not on hashing.
    static let hash = Bcrypt.hash(password, cost: 4)

    func writeWebConfig(_ pki: TestPKI, _ text: String) throws -> String {
        let path = pki.path("web.yml")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func httpsWithBasicAuthGuardsEveryRouteButHealthAndReadiness() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        try pki.install("first")
        let web = try writeWebConfig(
            pki,
            """
            tls_server_config:
              cert_file: server.crt
              key_file: server.key
            basic_auth_users:
              prometheus: \(Self.hash)
            http_server_config:
              headers:
                X-Frame-Options: deny
            """)
        try await withExporter({ $0.webConfigFile = web; $0.configFile = try writeOneProviderConfig(in: pki.directory) }) { app in
            let base = "https://127.0.0.1:\(app.port)"
            let tls = ["--cacert", pki.path("ca.crt")]
            let good = tls + ["-u", "prometheus:\(Self.password)"]

            let scrape = try await curl(base + "/metrics", good)
            #expect(scrape.status == 200)
            #expect(scrape.body.contains("provider_health_exporter_build_info"))
            #expect(scrape.headers.lowercased().contains("x-frame-options: deny"))
            // Plain HTTP on the TLS port gets no answer.
            let plainHTTP = try await curl("http://127.0.0.1:\(app.port)/metrics")
            #expect(plainHTTP.status == 0)

            let routes: [(String, String)] = [
                ("GET", "/metrics"), ("GET", "/"), ("GET", "/health"), ("GET", "/config"),
                ("GET", "/api/providers/status"), ("GET", "/api/providers/status/alpha"), ("GET", "/api/providers/best"),
                ("GET", "/api/providers/history"), ("GET", "/api/providers/export/csv"), ("GET", "/providers/alpha"),
                ("POST", "/api/providers/alpha/check"), ("POST", "/api/providers/alpha/reset"),
                ("POST", "/api/v1/outcomes"), ("POST", "/-/reload"), ("GET", "/no/such/route"),
            ]
            for (method, path) in routes {
                for credentials in [[], ["-u", "prometheus:wrong"], ["-u", "nobody:\(Self.password)"]] {
                    let answer = try await curl(base + path, tls + credentials + ["-X", method])
                    #expect(answer.status == 401, "\(method) \(path) \(credentials.first ?? "anonymous")")
                    #expect(answer.headers.lowercased().contains("www-authenticate: basic"), "\(method) \(path)")
                    #expect(!answer.body.contains(Self.password))
                }
            }
            let healthy = try await curl(base + "/-/healthy", tls)
            #expect(healthy.status == 200)
            #expect(try await curl(base + "/-/ready", tls).status == 503)  // not 401: no cycle has run yet

            // Basic auth opens the writes too; an anonymous write changed nothing.
            let before = app.store.resultsRecorded
            let anonymousWrite = try await curl(base + "/api/v1/outcomes", tls + ["-X", "POST", "--data", oneOutcome])
            #expect(anonymousWrite.status == 401)
            #expect(app.store.resultsRecorded == before)
            let authenticatedWrite = try await curl(base + "/api/v1/outcomes", good + ["-X", "POST", "--data", oneOutcome])
            #expect(authenticatedWrite.status == 202)
            #expect(app.store.resultsRecorded == before + 1)
            let reload = try await curl(base + "/-/reload", good + ["-X", "POST"])
            #expect(reload.status == 200)
        }
    }

    @Test func aClientCertificateSignedByTheClientCAIsRequired() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        try pki.install("first")
        let web = try writeWebConfig(
            pki,
            """
            tls_server_config:
              cert_file: server.crt
              key_file: server.key
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: ca.crt
            """)
        try await withExporter({ $0.webConfigFile = web }) { app in
            let url = "https://127.0.0.1:\(app.port)/metrics"
            let tls = ["--cacert", pki.path("ca.crt")]
            let withoutCertificate = try await curl(url, tls)
            #expect(withoutCertificate.status == 0)
            let withRogueCertificate = try await curl(url, tls + ["--cert", pki.path("rogue.crt"), "--key", pki.path("rogue.key")])
            #expect(withRogueCertificate.status == 0)
            let withClientCertificate = try await curl(url, tls + ["--cert", pki.path("client.crt"), "--key", pki.path("client.key")])
            #expect(withClientCertificate.status == 200)
        }
    }

    /// The subject of the certificate the server presents to a new connection.
    func servedSubject(port: Int) async throws -> String {
        let (_, output) = try await NIOThreadPool.singleton.runIfActive {
            try runProgram(["openssl", "s_client", "-connect", "127.0.0.1:\(port)"], input: "")
        }
        return output.split(separator: "\n").first { $0.hasPrefix("subject=") }.map(String.init) ?? ""
    }

    @Test func renewedCertificateFilesAreUsedWithoutARestartAndBrokenOnesIgnored() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        try pki.install("first")
        let web = try writeWebConfig(pki, "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n")
        try await withExporter({ $0.webConfigFile = web }) { app in
            let initial = try await servedSubject(port: app.port)
            #expect(initial.contains("first"))
            try pki.install("second")
            var subject = ""
            for _ in 0..<40 where !subject.contains("second") {
                try await Task.sleep(for: .milliseconds(250))
                subject = try await servedSubject(port: app.port)
            }
            #expect(subject.contains("second"))

            // A half-written renewal: the previous certificate keeps being served.
            try Data("-----BEGIN CERTIFICATE-----\ntruncated".utf8).write(to: URL(fileURLWithPath: pki.path("server.crt")))
            try await Task.sleep(for: .milliseconds(1500))
            let afterBrokenFile = try await servedSubject(port: app.port)
            #expect(afterBrokenFile.contains("second"))
            let afterBrokenFileScrape = try await curl("https://127.0.0.1:\(app.port)/metrics", ["--cacert", pki.path("ca.crt")])
            #expect(afterBrokenFileScrape.status == 200)
        }
    }

    @Test func writesAreClosedWithoutATokenOrTheFlag() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("writes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = try writeOneProviderConfig(in: directory)
        let tokenFile = directory.appendingPathComponent("ingest-token").path
        try Data("ingest-secret\n".utf8).write(to: URL(fileURLWithPath: tokenFile))

        try await withExporter({ $0.configFile = config }) { app in
            let base = "http://127.0.0.1:\(app.port)"
            let before = app.store.resultsRecorded
            for path in ["/api/v1/outcomes", "/api/providers/alpha/check", "/api/providers/alpha/reset", "/-/reload"] {
                let answer = try await curl(base + path, ["-X", "POST", "--data", oneOutcome])
                #expect(answer.status == 401, "\(path)")
                #expect(answer.body.contains("--web.allow-anonymous-writes"), "\(path)")
            }
            #expect(app.store.resultsRecorded == before)
            // Reads stay open without a web config, as in every exporter.
            let read = try await curl(base + "/metrics")
            #expect(read.status == 200)
        }
        try await withExporter({ $0.configFile = config; $0.ingestTokenFile = tokenFile }) { app in
            let url = "http://127.0.0.1:\(app.port)/api/v1/outcomes"
            let wrongToken = try await curl(url, ["--data", oneOutcome, "-H", "Authorization: Bearer wrong"])
            #expect(wrongToken.status == 403)
            #expect(app.store.resultsRecorded == 0)
            let rightToken = try await curl(url, ["--data", oneOutcome, "-H", "Authorization: Bearer ingest-secret"])
            #expect(rightToken.status == 202)
            #expect(app.store.resultsRecorded == 1)
        }
        try await withExporter({ $0.configFile = config; $0.allowAnonymousWrites = true }) { app in
            let anonymous = try await curl("http://127.0.0.1:\(app.port)/api/v1/outcomes", ["--data", oneOutcome])
            #expect(anonymous.status == 202)
            #expect(app.store.resultsRecorded == 1)
        }
    }

    @Test func listensOnIPv4AndIPv6AtOnceWithTheTelemetryPathMoved() async throws {
        try await withExporter({
            $0.listenAddresses = ["127.0.0.1:0", "[::1]:0"]
            $0.telemetryPath = "/m"
        }) { app in
            let ports = app.server.localAddresses.compactMap(\.port)
            #expect(ports.count == 2)
            #expect(app.server.localAddresses.map { $0.protocol } == [.inet, .inet6])
            for url in ["http://127.0.0.1:\(ports[0])", "http://[::1]:\(ports[1])"] {
                let metrics = try await curl(url + "/m")
                #expect(metrics.status == 200, "\(url)")
                #expect(metrics.body.contains("provider_health_exporter_build_info"))
                let oldPath = try await curl(url + "/metrics")
                #expect(oldPath.status == 404)
                let landingPage = try await curl(url + "/")
                #expect(landingPage.body.contains(#"href="/m""#))
            }
        }
    }

    @Test(arguments: [
        ("127.0.0.1:9464", "127.0.0.1", 9464), ("[::1]:9464", "::1", 9464), ("[::]:9464", "::", 9464),
        (":9464", "", 9464), ("localhost:0", "localhost", 0),
    ])
    func listenAddressesAreReadAsInGo(text: String, host: String, port: Int) throws {
        #expect(ListenAddress(parsing: text) == ListenAddress(host: host, port: port))
    }

    @Test(arguments: ["9464", "::1:9464", "[::1]", "host:99999", "[]:9464", "host:port"])
    func malformedListenAddressesAreRefused(text: String) {
        #expect(ListenAddress(parsing: text) == nil)
    }
}
