import Foundation
import Testing

@testable import ExporterConfig

/// `--web.config.file`: exporter-toolkit's format, strict keys, located errors.
@Suite struct WebConfigTests {
    private func webErrors(_ relative: String) throws -> [ConfigError] {
        let path = try testdataPath("web/" + relative)
        do {
            let config = try loadWebConfig(path: path)
            Issue.record("\(relative) parsed without errors: \(config)")
            return []
        } catch {
            return error.errors
        }
    }

    private func expect(_ relative: String, _ expected: [ExpectedError]) throws {
        let found = try webErrors(relative)
        #expect(found.count == expected.count, "\(found.map(\.description).joined(separator: "\n"))")
        for (error, want) in zip(found, expected) {
            #expect(error.file.hasSuffix(relative))
            #expect((error.line, error.column) == (want.line, want.column), "\(error)")
            #expect(error.field == want.field, "\(error)")
            #expect(error.message.contains(want.message), "\(error)")
        }
    }

    @Test func everyImplementedKey() throws {
        let path = try testdataPath("web/good/everything.yml")
        let config = try loadWebConfig(path: path)
        let directory = (path as NSString).deletingLastPathComponent
        let tls = try #require(config.tls)
        // Relative paths are relative to the web config file, absolute ones stay.
        #expect(tls.certFile == directory + "/tls/server.crt")
        #expect(tls.keyFile == "/etc/exporter/server.key")
        #expect(tls.clientCAFile == directory + "/tls/clients-ca.crt")
        #expect(tls.clientAuth == .requireAndVerifyClientCert)
        #expect(tls.minVersion == .tls13 && tls.maxVersion == .tls13)
        #expect(config.headers["X-Frame-Options"] == "sameorigin")
        #expect(config.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains")
        #expect(config.headers.count == 3)
        #expect(Set(config.basicAuthUsers.keys) == ["prometheus", "grafana"])
        #expect(config.basicAuthUsers["grafana"]?.hasPrefix("$2y$10$") == true)
    }

    @Test func anEmptyTLSSectionServesPlainHTTP() throws {
        let config = try loadWebConfig(path: try testdataPath("web/good/basic-auth-only.yml"))
        #expect(config.tls == nil)
        #expect(config.basicAuthUsers.count == 1)
        #expect(config.headers.isEmpty)
    }

    @Test func anEmptyFileChangesNothing() throws {
        #expect(try parseWebConfig(yaml: "", filename: "web.yml") == WebConfig())
        #expect(try parseWebConfig(yaml: "# nothing yet\n", filename: "web.yml") == WebConfig())
    }

    @Test func defaultsAreExporterToolkits() throws {
        let config = try parseWebConfig(yaml: "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n", filename: "web.yml")
        let tls = try #require(config.tls)
        #expect(tls.clientAuth == .noClientCert && tls.clientCAFile == nil)
        #expect(tls.minVersion == .tls12 && tls.maxVersion == .tls13)
    }

    @Test func unknownKeysAreLocatedWithASuggestion() throws {
        try expect(
            "bad/unknown-keys.yml",
            [
                ExpectedError(2, 3, "tls_server_config", "missing key_file"),
                ExpectedError(3, 3, "tls_server_config.key_fil", #"unknown field "key_fil" (did you mean "key_file"?)"#),
                ExpectedError(4, 1, "basic_auth_user", #"unknown field "basic_auth_user" (did you mean "basic_auth_users"?)"#),
            ])
    }

    @Test func exporterToolkitKeysNotImplementedAreRefused() throws {
        try expect(
            "bad/unsupported.yml",
            [
                ExpectedError(4, 3, "tls_server_config.cipher_suites", "choosing cipher suites is not supported"),
                ExpectedError(5, 3, "tls_server_config.client_allowed_sans", "is not supported"),
                ExpectedError(7, 10, "http_server_config.http2", "HTTP/2 is not supported"),
                ExpectedError(8, 1, "rate_limit", "rate limiting is not supported"),
            ])
    }

    @Test func badValuesAreLocatedAndTheHashIsNeverQuoted() throws {
        try expect(
            "bad/bad-values.yml",
            [
                ExpectedError(2, 3, "tls_server_config", "missing key_file"),
                ExpectedError(3, 21, "tls_server_config.client_auth_type", #"unknown value "RequireCertPlease", expected one of NoClientCert, RequestClientCert"#),
                ExpectedError(5, 16, "tls_server_config.max_version", "min_version TLS13 is above max_version TLS12"),
                ExpectedError(8, 5, "http_server_config.headers.Server", #"header "Server" can not be configured"#),
                ExpectedError(9, 22, "http_server_config.headers.X-Frame-Options", #"invalid value "allow", expected one of deny, sameorigin"#),
                ExpectedError(11, 15, "basic_auth_users.prometheus", "is not a bcrypt hash"),
            ])
        #expect(try webErrors("bad/bad-values.yml").allSatisfy { !$0.description.contains("hunter2") })
    }

    @Test func clientCertificateSettingsMustAgree() throws {
        try expect(
            "bad/client-ca-mismatch.yml",
            [ExpectedError(4, 3, "tls_server_config.client_ca_file", "client_auth_type is NoClientCert")])
        try expect(
            "bad/verify-without-ca.yml",
            [ExpectedError(4, 21, "tls_server_config.client_auth_type", "VerifyClientCertIfGiven needs client_ca_file")])
    }

    @Test func syntaxErrorsAndUnreadableFilesAreReportedLikeTheMainConfig() throws {
        #expect(throws: ConfigErrors.self) { try parseWebConfig(yaml: "tls_server_config: [\n", filename: "web.yml") }
        do {
            _ = try loadWebConfig(path: "/nonexistent/web.yml")
            Issue.record("an absent file loaded")
        } catch {
            #expect(error.description == "/nonexistent/web.yml: cannot read web config: no such file")
        }
    }

    @Test(arguments: [
        ("$2b$10$wKknVpC690y7nkxr0vTqG.8Fhm7.FPxYHa6dfwSIpb6cSc8YxStJe", true),
        ("$2a$04$wKknVpC690y7nkxr0vTqG.8Fhm7.FPxYHa6dfwSIpb6cSc8YxStJe", true),
        ("$2x$10$wKknVpC690y7nkxr0vTqG.8Fhm7.FPxYHa6dfwSIpb6cSc8YxStJe", false),
        ("$2b$03$wKknVpC690y7nkxr0vTqG.8Fhm7.FPxYHa6dfwSIpb6cSc8YxStJe", false),
        ("$2b$10$wKknVpC690y7nkxr0vTqG.8Fhm7.FPxYHa6dfwSIpb6cSc8YxStJ", false),
        ("$2b$10$wKknVpC690y7nkxr0vTqG.8Fhm7.FPxYHa6dfwSIpb6cSc8YxSt!e", false),
    ])
    func bcryptHashShape(hash: String, valid: Bool) {
        #expect(isBcryptHash(hash) == valid)
    }
}
