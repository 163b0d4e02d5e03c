import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// HTTPS settings of the server.
public struct TLSSettings: Sendable {
    /// How client certificates are handled (the names of Go's tls.ClientAuthType, which exporter-toolkit uses).
    public enum ClientCertificates: Sendable {
        /// Not asked for.
        case none
        /// Asked for, not required, not verified.
        case request
        /// Required, not verified.
        case requireAny
        /// Verified against the client CA when presented.
        case verifyIfGiven
        /// Required and verified against the client CA: a client without one fails the handshake.
        case requireAndVerify
    }

    public var certificateFile: String
    public var privateKeyFile: String
    public var clientCertificates: ClientCertificates
    /// PEM file of the CAs client certificates are verified against.
    public var clientCAFile: String?
    public var minimumVersion: TLSVersion
    public var maximumVersion: TLSVersion

    public init(
        certificateFile: String, privateKeyFile: String, clientCertificates: ClientCertificates = .none,
        clientCAFile: String? = nil, minimumVersion: TLSVersion = .tlsv12, maximumVersion: TLSVersion = .tlsv13
    ) {
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
        self.clientCertificates = clientCertificates
        self.clientCAFile = clientCAFile
        self.minimumVersion = minimumVersion
        self.maximumVersion = maximumVersion
    }

    var files: [String] { [certificateFile, privateKeyFile] + (clientCAFile.map { [$0] } ?? []) }

    /// Loads the files as a new connection would; the error names the file at fault.
    public func check() throws {
        _ = try TLSContextSource.makeContext(self)
    }
}

public struct TLSSetupError: Error, CustomStringConvertible {
    public var description: String
}

/// The TLS context new connections use. Certificate and key files renewed on disk (certbot, cert-manager) are picked
/// up without a restart: when the files' modification time or size change — looked at no more than once a second —
/// the context is rebuilt. A broken new file keeps the previous context and logs an error, so a half-written
/// renewal never takes the endpoint down.
final class TLSContextSource: Sendable {
    private struct State {
        var context: NIOSSLContext
        var stamps: [FileStamp?]
        var lastCheck: NIODeadline
    }

    let settings: TLSSettings
    private let state: NIOLockedValueBox<State>
    private let logger: Logger
    private static let checkInterval = TimeAmount.seconds(1)

    init(settings: TLSSettings, logger: Logger) throws {
        self.settings = settings
        self.logger = logger
        let stamps = settings.files.map(FileStamp.init(path:))
        state = NIOLockedValueBox(State(context: try Self.makeContext(settings), stamps: stamps, lastCheck: .now()))
    }

    /// The context for a connection being accepted now.
    func current() -> NIOSSLContext {
        state.withLockedValue { state in
            let now = NIODeadline.now()
            guard now - state.lastCheck >= Self.checkInterval else { return state.context }
            state.lastCheck = now
            let stamps = settings.files.map(FileStamp.init(path:))
            guard stamps != state.stamps else { return state.context }
            state.stamps = stamps
            do {
                state.context = try Self.makeContext(settings)
                logger.info("TLS certificate files changed, new connections use them", metadata: ["cert_file": "\(settings.certificateFile)"])
            } catch {
                logger.error(
                    "TLS certificate files changed but cannot be loaded, keeping the previous ones",
                    metadata: ["error": "\(error)"])
            }
            return state.context
        }
    }

    /// Builds a server context from the files, with errors that name the file at fault (never its content).
    static func makeContext(_ settings: TLSSettings) throws -> NIOSSLContext {
        func load<T>(_ what: String, _ path: String, _ read: () throws -> T) throws -> T {
            guard access(path, R_OK) == 0 else {
                throw TLSSetupError(description: "cannot read the \(what) \(path): \(String(cString: strerror(errno)))")
            }
            do { return try read() } catch {
                throw TLSSetupError(description: "cannot load the \(what) \(path): \(error)")
            }
        }
        let chain = try load("certificate file", settings.certificateFile) {
            try NIOSSLCertificate.fromPEMFile(settings.certificateFile)
        }
        guard !chain.isEmpty else {
            throw TLSSetupError(description: "the certificate file \(settings.certificateFile) holds no PEM certificate")
        }
        let key = try load("key file", settings.privateKeyFile) { try NIOSSLPrivateKey(file: settings.privateKeyFile, format: .pem) }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = settings.minimumVersion
        configuration.maximumTLSVersion = settings.maximumVersion
        if let clientCAFile = settings.clientCAFile {
            let roots = try load("client CA file", clientCAFile) { try NIOSSLCertificate.fromPEMFile(clientCAFile) }
            guard !roots.isEmpty else {
                throw TLSSetupError(description: "the client CA file \(clientCAFile) holds no PEM certificate")
            }
            configuration.trustRoots = .certificates(roots)
        }
        switch settings.clientCertificates {
        case .none: configuration.certificateVerification = .none
        case .request, .verifyIfGiven: configuration.certificateVerification = .optionalVerification
        case .requireAny, .requireAndVerify: configuration.certificateVerification = .noHostnameVerification
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw TLSSetupError(
                description: "cannot use \(settings.certificateFile) with \(settings.privateKeyFile): \(error)")
        }
    }

    /// The handler for one accepted connection.
    func makeHandler() -> NIOSSLServerHandler {
        switch settings.clientCertificates {
        case .request, .requireAny:
            // Asked for (or required) but not checked against any CA, as Go's RequestClientCert/RequireAnyClientCert.
            return NIOSSLServerHandler(context: current(), customVerificationCallback: { _, promise in promise.succeed(.certificateVerified) })
        case .none, .verifyIfGiven, .requireAndVerify:
            return NIOSSLServerHandler(context: current())
        }
    }
}

/// What tells a renewed file from the one loaded: modification time and size.
struct FileStamp: Equatable, Sendable {
    var modifiedSeconds: Int
    var modifiedNanoseconds: Int
    var size: Int

    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        #if canImport(Darwin)
            let modified = info.st_mtimespec
        #else
            let modified = info.st_mtim
        #endif
        modifiedSeconds = Int(modified.tv_sec)
        modifiedNanoseconds = Int(modified.tv_nsec)
        size = Int(info.st_size)
    }
}
