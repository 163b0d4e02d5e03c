/// The `--web.config.file` settings, in the format of Prometheus exporter-toolkit (the file
/// `promtool check web-config` validates): TLS, basic auth users and extra response headers.
public struct WebConfig: Sendable, Equatable {
    /// Serve HTTPS with these files; nil serves plain HTTP.
    public var tls: TLSServerConfig?
    /// User name → bcrypt hash. Empty: no basic auth.
    public var basicAuthUsers: [String: String] = [:]
    /// Added to every response.
    public var headers: [String: String] = [:]

    public init(tls: TLSServerConfig? = nil, basicAuthUsers: [String: String] = [:], headers: [String: String] = [:]) {
        self.tls = tls
        self.basicAuthUsers = basicAuthUsers
        self.headers = headers
    }
}

/// `tls_server_config`. Relative paths are resolved against the web config file's directory, as exporter-toolkit does.
public struct TLSServerConfig: Sendable, Equatable {
    public var certFile: String
    public var keyFile: String
    public var clientAuth: ClientAuthType = .noClientCert
    public var clientCAFile: String?
    public var minVersion: TLSProtocolVersion = .tls12
    public var maxVersion: TLSProtocolVersion = .tls13

    public init(
        certFile: String, keyFile: String, clientAuth: ClientAuthType = .noClientCert, clientCAFile: String? = nil,
        minVersion: TLSProtocolVersion = .tls12, maxVersion: TLSProtocolVersion = .tls13
    ) {
        self.certFile = certFile
        self.keyFile = keyFile
        self.clientAuth = clientAuth
        self.clientCAFile = clientCAFile
        self.minVersion = minVersion
        self.maxVersion = maxVersion
    }
}

/// exporter-toolkit's `client_auth_type` values (Go's tls.ClientAuthType names).
public enum ClientAuthType: String, Sendable, CaseIterable {
    case noClientCert = "NoClientCert"
    case requestClientCert = "RequestClientCert"
    case requireAnyClientCert = "RequireAnyClientCert"
    case verifyClientCertIfGiven = "VerifyClientCertIfGiven"
    case requireAndVerifyClientCert = "RequireAndVerifyClientCert"

    /// Whether presented certificates are checked against `client_ca_file`.
    public var verifies: Bool { self == .verifyClientCertIfGiven || self == .requireAndVerifyClientCert }
}

/// exporter-toolkit's `min_version`/`max_version` values.
public enum TLSProtocolVersion: String, Sendable, CaseIterable, Comparable {
    case tls10 = "TLS10"
    case tls11 = "TLS11"
    case tls12 = "TLS12"
    case tls13 = "TLS13"

    public static func < (a: Self, b: Self) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

let webConfigKeys = ["tls_server_config", "http_server_config", "basic_auth_users", "rate_limit"]
let tlsServerConfigKeys = [
    "cert_file", "key_file", "client_auth_type", "client_ca_file", "min_version", "max_version",
    "cert", "key", "client_ca", "cipher_suites", "curve_preferences", "prefer_server_cipher_suites",
    "client_allowed_sans",
]
let httpServerConfigKeys = ["headers", "http2"]

/// Keys exporter-toolkit knows that this exporter does not implement, and why, so that a file written for a Go
/// exporter fails loudly instead of silently running with less than its author asked for.
let unsupportedWebConfigKeys: [String: String] = [
    "rate_limit": "rate limiting is not supported",
    "cert": "inline certificates are not supported: use cert_file",
    "key": "inline keys are not supported: use key_file",
    "client_ca": "inline client CAs are not supported: use client_ca_file",
    "cipher_suites": "choosing cipher suites is not supported (the TLS library's defaults are used)",
    "curve_preferences": "choosing curves is not supported (the TLS library's defaults are used)",
    "prefer_server_cipher_suites": "prefer_server_cipher_suites is not supported",
    "client_allowed_sans": "matching client certificate SANs is not supported",
]

/// exporter-toolkit's rule for `http_server_config.headers`: only these headers, and for some only these values
/// (nil: any value), keeping every exporter's security headers consistent.
let configurableResponseHeaders: [String: [String]?] = [
    "Strict-Transport-Security": nil,
    "X-Content-Type-Options": ["nosniff"],
    "X-Frame-Options": ["deny", "sameorigin"],
    "X-XSS-Protection": nil,
    "Content-Security-Policy": nil,
]

/// Parses a web config file's text, reporting every problem at once with file, line, column and field.
/// `directory` resolves relative certificate paths.
public func parseWebConfig(yaml: String, filename: String, directory: String? = nil) throws(ConfigErrors) -> WebConfig {
    guard let root = try composeDocument(yaml: yaml, filename: filename) else { return WebConfig() }
    var parser = WebConfigParser(reader: NodeReader(file: filename), directory: directory)
    var config = WebConfig()
    if let fields = parser.reader.fields(root, path: "", allowed: webConfigKeys) { config = parser.parse(fields) }
    guard parser.reader.errors.isEmpty else { throw ConfigErrors(sortedByPosition(parser.reader.errors)) }
    return config
}

/// Reads and parses a web config file; an unreadable file is one error naming it.
public func loadWebConfig(path: String) throws(ConfigErrors) -> WebConfig {
    let text: String
    switch readTextFile(path) {
    case .success(let contents): text = contents
    case .failure(let problem):
        throw ConfigErrors([
            ConfigError(file: path, line: 0, column: 0, field: "", message: "cannot read web config: \(problem.reason)")
        ])
    }
    // Relative certificate paths are relative to the file's directory, as in exporter-toolkit.
    let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
    return try parseWebConfig(yaml: text, filename: path, directory: directory.isEmpty ? "/" : directory)
}

struct WebConfigParser {
    var reader: NodeReader
    let directory: String?

    mutating func parse(_ fields: Fields) -> WebConfig {
        var config = WebConfig()
        rejectUnsupported(fields)
        if let entry = fields["tls_server_config"] { config.tls = parseTLS(entry) }
        if let entry = fields["http_server_config"] { config.headers = parseHTTP(entry) }
        if let entry = fields["basic_auth_users"] { config.basicAuthUsers = parseUsers(entry) }
        return config
    }

    private mutating func rejectUnsupported(_ fields: Fields) {
        for entry in fields.entries {
            if let reason = unsupportedWebConfigKeys[entry.key] { reader.report(entry.keyNode, entry.path, reason) }
        }
    }

    private mutating func parseTLS(_ entry: Entry) -> TLSServerConfig? {
        guard let fields = reader.fields(entry.value, path: entry.path, allowed: tlsServerConfigKeys) else { return nil }
        rejectUnsupported(fields)
        // An empty section is plain HTTP, as in exporter-toolkit.
        guard !fields.entries.isEmpty else { return nil }
        let certFile = fields["cert_file"].flatMap { reader.nonEmptyString($0) }
        let keyFile = fields["key_file"].flatMap { reader.nonEmptyString($0) }
        if fields["cert_file"] == nil { reader.report(entry.value, entry.path, "missing cert_file") }
        if fields["key_file"] == nil { reader.report(entry.value, entry.path, "missing key_file") }
        var clientAuth = ClientAuthType.noClientCert
        if let e = fields["client_auth_type"], let value = oneOf(e, ClientAuthType.self, aliases: ["RequireClientCert": .requireAnyClientCert]) {
            clientAuth = value
        }
        let clientCAFile = fields["client_ca_file"].flatMap { reader.nonEmptyString($0) }
        if let e = fields["client_ca_file"], clientCAFile != nil, clientAuth == .noClientCert {
            reader.report(e.keyNode, e.path, "is set but client_auth_type is NoClientCert, so no client certificate is asked for (set client_auth_type, e.g. RequireAndVerifyClientCert)")
        }
        if clientAuth.verifies, clientCAFile == nil, fields["client_ca_file"] == nil, let e = fields["client_auth_type"] {
            reader.report(e.value, e.path, "\(clientAuth.rawValue) needs client_ca_file (the CAs that sign accepted client certificates)")
        }
        let minVersion = fields["min_version"].flatMap { oneOf($0, TLSProtocolVersion.self) } ?? .tls12
        let maxVersion = fields["max_version"].flatMap { oneOf($0, TLSProtocolVersion.self) } ?? .tls13
        if minVersion > maxVersion, let e = fields["max_version"] ?? fields["min_version"] {
            reader.report(e.value, e.path, "min_version \(minVersion.rawValue) is above max_version \(maxVersion.rawValue)")
        }
        guard let certFile, let keyFile else { return nil }
        return TLSServerConfig(
            certFile: resolve(certFile), keyFile: resolve(keyFile), clientAuth: clientAuth,
            clientCAFile: clientCAFile.map(resolve), minVersion: minVersion, maxVersion: maxVersion)
    }

    private mutating func parseHTTP(_ entry: Entry) -> [String: String] {
        guard let fields = reader.fields(entry.value, path: entry.path, allowed: httpServerConfigKeys) else { return [:] }
        // exporter-toolkit enables HTTP/2 by default; this server speaks HTTP/1.1 only, which `http2: false` states.
        if let e = fields["http2"], let enabled = reader.bool(e), enabled {
            reader.report(e.value, e.path, "HTTP/2 is not supported: this exporter serves HTTP/1.1 (remove the key or set http2: false)")
        }
        guard let headersEntry = fields["headers"],
            let headerFields = reader.fields(headersEntry.value, path: headersEntry.path, allowed: nil)
        else { return [:] }
        var headers: [String: String] = [:]
        for header in headerFields.entries {
            guard let value = reader.string(header) else { continue }
            guard let allowedValues = configurableResponseHeaders[header.key] else {
                let names = configurableResponseHeaders.keys.sorted().joined(separator: ", ")
                reader.report(header.keyNode, header.path, "header \(displayValue(header.key)) can not be configured (allowed: \(names))")
                continue
            }
            if let allowedValues, !allowedValues.contains(value) {
                reader.report(
                    header.value, header.path,
                    "invalid value \(displayValue(value)), expected one of \(allowedValues.joined(separator: ", "))")
                continue
            }
            headers[header.key] = value
        }
        return headers
    }

    private mutating func parseUsers(_ entry: Entry) -> [String: String] {
        guard let fields = reader.fields(entry.value, path: entry.path, allowed: nil) else { return [:] }
        var users: [String: String] = [:]
        for user in fields.entries {
            guard let hash = reader.string(user, secret: true) else { continue }
            guard isBcryptHash(hash) else {
                // The value is a password hash: it is never quoted back.
                reader.report(user.value, user.path, "is not a bcrypt hash ($2a$, $2b$ or $2y$, cost 4 to 31, 60 characters); make one with htpasswd -nBC 10 \"\" | tr -d ':'")
                continue
            }
            users[user.key] = hash
        }
        return users
    }

    /// One of an enumeration's raw values (or an accepted older spelling); otherwise an error listing them.
    private mutating func oneOf<T: RawRepresentable & CaseIterable>(
        _ entry: Entry, _ type: T.Type, aliases: [String: T] = [:]
    ) -> T? where T.RawValue == String {
        guard let text = reader.string(entry) else { return nil }
        if let value = T(rawValue: text) ?? aliases[text] { return value }
        let names = T.allCases.map(\.rawValue).joined(separator: ", ")
        reader.report(entry.value, entry.path, "unknown value \(displayValue(text)), expected one of \(names)")
        return nil
    }

    private func resolve(_ path: String) -> String {
        guard let directory, !path.hasPrefix("/") else { return path }
        return directory.hasSuffix("/") ? directory + path : directory + "/" + path
    }
}

/// The shape of a bcrypt hash (`$2b$10$` then 53 characters of bcrypt's base64), which exporter-toolkit checks
/// when it loads the file.
func isBcryptHash(_ text: String) -> Bool {
    let bytes = Array(text.utf8)
    guard bytes.count == 60, bytes[0] == UInt8(ascii: "$"), bytes[1] == UInt8(ascii: "2"),
        [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "y")].contains(bytes[2]), bytes[3] == UInt8(ascii: "$"),
        bytes[6] == UInt8(ascii: "$"),
        let cost = Int(String(decoding: bytes[4..<6], as: UTF8.self)), (4...31).contains(cost)
    else { return false }
    return bytes[7...].allSatisfy { b in
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: "/")
    }
}
