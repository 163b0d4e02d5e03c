import ExporterConfig
import ExporterServer
import Exposition
import HistoryStore
import OutcomeIngest
import Synchronization
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HealthCore
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Probing
import ProviderSimulator
import ServiceLifecycle
import UnixSignals

/// Everything the command line decides.
public struct ExporterOptions: Sendable {
    public var configFile: String?
    /// Every address gets a listener; `:9464` is every interface, IPv6 and IPv4, as in Go.
    public var listenAddresses = [":9464"]
    /// exporter-toolkit web config: TLS, basic auth, response headers.
    public var webConfigFile: String?
    /// Where Prometheus scrapes.
    public var telemetryPath = "/metrics"
    /// Opens ingest and the admin routes that have no token to anyone who can reach the port.
    public var allowAnonymousWrites = false
    public var demo = false
    public var demoProviders: Int?
    public var demoModels: Int?
    public var aggregationIntervalSeconds: Double?
    public var namespace: String?
    /// Watch only this shard's providers (several instances split the providers between them).
    public var shard: Shard?
    /// SQLite file for history; ":memory:" keeps none on disk; nil disables history.
    public var historyPath: String? = "provider-health-history.sqlite"
    public var adminTokenFile: String?
    public var ingestTokenFile: String?
    public var ingestLimits = IngestLimits()
    public var logLevel: Logger.Level = .info
    public var logFormat: LogFormat = .logfmt
    public var environment: [String: String] = ProcessInfo.processInfo.environment
    public init() {}
}

public enum ExporterVersion {
    public static let version = "0.1.0"
    public static let revision = "unknown"
}

public struct StartupError: Error, CustomStringConvertible {
    public var description: String
}

/// The running exporter's parts, wired together. `run()` serves until SIGTERM/SIGINT; SIGHUP reloads.
public final class ExporterApplication: Sendable {
    public let options: ExporterOptions
    public let store: HealthStore
    public let aggregator: Aggregator
    public let scheduler: ProbeScheduler
    public let server: HTTPServer
    public let reloadStatus: ReloadStatus
    public let history: HistoryStore?
    let simulator: ProviderSimulatorServer?
    let logger: Logger

    /// The port the HTTP server listens on (useful with port 0).
    public var port: Int { server.localPort }

    /// Loads the configuration, starts the demo providers and the HTTP server. Probing and aggregation
    /// start with `run()`.
    public static func start(_ options: ExporterOptions, logger: Logger) async throws -> ExporterApplication {
        var simulator: ProviderSimulatorServer?
        var configuration: ExporterConfiguration
        if options.demo {
            var global = GlobalSettings()
            if let interval = options.aggregationIntervalSeconds { global.aggregationIntervalSeconds = interval }
            let simulated = Demo.simulatedProviders(providers: options.demoProviders, models: options.demoModels)
            let sim = try await ProviderSimulatorServer.start(providers: simulated)
            simulator = sim
            configuration = Demo.configuration(simulated: simulated, server: sim, global: global)
            logger.info("demo providers started", metadata: ["providers": "\(simulated.count)", "port": "\(sim.port)"])
        } else {
            configuration = try loadConfiguration(options)
            if configuration.providers.isEmpty {
                logger.warning("no providers configured: pass --config.file, set provider API keys in the environment, or try --demo")
            }
        }
        if let interval = options.aggregationIntervalSeconds { configuration.global.aggregationIntervalSeconds = interval }
        configuration = sharded(configuration, options.shard)

        let adminToken = try options.adminTokenFile.map(TokenGuard.readTokenFile)
        let ingestToken = try options.ingestTokenFile.map(TokenGuard.readTokenFile)
        let store = HealthStore(configuration: configuration)
        let reloadStatus = ReloadStatus()
        let history = options.historyPath.map { HistoryStore(path: $0) }
        let ingest = IngestRecorder(store: store, limits: options.ingestLimits, environment: options.environment)
        let aggregator = Aggregator(
            store: store, history: history, collectors: [ingest, ProcessCollector()],
            namespace: MetricsNamespace(options.namespace), reloadStatus: reloadStatus,
            version: ExporterVersion.version, revision: ExporterVersion.revision, logger: logger)
        let client = HTTPProbeClient()
        let scheduler = ProbeScheduler(store: store, client: client, environment: options.environment, logger: logger)
        let addresses = try options.listenAddresses.map(parseListenAddress)
        let web = try options.webConfigFile.map { path throws(ConfigErrors) in try loadWebConfig(path: path) } ?? WebConfig()
        let appBox = ApplicationBox()
        let api = ExporterAPI(
            store: store, holder: aggregator.holder, history: history,
            checks: OnDemandChecks(store: store, client: client, environment: options.environment),
            admin: TokenGuard(
                token: adminToken, purpose: "admin routes", tokenFlag: "--web.admin-token-file",
                allowAnonymous: options.allowAnonymousWrites),
            ingestGuard: TokenGuard(
                token: ingestToken, purpose: "outcome ingest", tokenFlag: "--web.ingest-token-file",
                allowAnonymous: options.allowAnonymousWrites),
            ingest: ingest, reload: { appBox.application?.reload() ?? .success(0) }, version: ExporterVersion.version,
            metricsPath: options.telemetryPath)
        var router = ExporterRoutes.router(holder: aggregator.holder, telemetryPath: options.telemetryPath)
        api.register(in: &router)
        var serverConfiguration = HTTPServer.Configuration(
            maxBodyBytes: options.ingestLimits.maxBodyBytes,
            onBodyTooLarge: { path in if path == "/api/v1/outcomes" || path == "/v1/traces" { ingest.countRejection(reason: "body_too_large") } })
        serverConfiguration.addresses = addresses
        serverConfiguration.apply(web)
        let server = try await HTTPServer.start(configuration: serverConfiguration, router: router, logger: logger)
        for address in server.localAddresses {
            logger.info(
                "listening",
                metadata: [
                    "address": "\(address.protocol == .inet6 ? "[\(address.ipAddress ?? "")]" : address.ipAddress ?? ""):\(address.port ?? 0)", "tls": "\(web.tls != nil)", "basic_auth": "\(!web.basicAuthUsers.isEmpty)",
                    "providers": "\(configuration.providers.count)",
                ])
        }
        let application = ExporterApplication(
            options: options, store: store, aggregator: aggregator, scheduler: scheduler, server: server,
            reloadStatus: reloadStatus, history: history, simulator: simulator, logger: logger)
        appBox.application = application
        return application
    }

    private init(
        options: ExporterOptions, store: HealthStore, aggregator: Aggregator, scheduler: ProbeScheduler,
        server: HTTPServer, reloadStatus: ReloadStatus, history: HistoryStore?, simulator: ProviderSimulatorServer?,
        logger: Logger
    ) {
        self.history = history
        self.options = options
        self.store = store
        self.aggregator = aggregator
        self.scheduler = scheduler
        self.server = server
        self.reloadStatus = reloadStatus
        self.simulator = simulator
        self.logger = logger
    }

    /// Serves until SIGTERM or SIGINT (graceful: in-flight probes are cancelled), reloading on SIGHUP.
    public func run() async throws {
        let interval = store.configuration.global.aggregationIntervalSeconds
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: HTTPServerService(server: server)),
                    .init(service: scheduler),
                    .init(service: AggregatorService(aggregator: aggregator, interval: .milliseconds(Int64(interval * 1000)))),
                    .init(service: ReloadOnHangup(application: self)),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
        try? await simulator?.shutdown()
        logger.info("stopped")
    }

    /// Re-reads the configuration file. A bad file keeps the old configuration and marks the reload failed.
    @discardableResult
    public func reload() -> Result<Int, ConfigErrors> {
        guard options.configFile != nil, !options.demo else {
            reloadStatus.recordSuccess()
            return .success(store.configuration.providers.count)
        }
        do {
            var configuration = try Self.loadConfiguration(options)
            if let interval = options.aggregationIntervalSeconds { configuration.global.aggregationIntervalSeconds = interval }
            configuration = sharded(configuration, options.shard)
            store.apply(configuration)
            scheduler.configurationChanged()
            reloadStatus.recordSuccess()
            logger.info("configuration reloaded", metadata: ["providers": "\(configuration.providers.count)"])
            return .success(configuration.providers.count)
        } catch {
            reloadStatus.recordFailure()
            logger.error("configuration reload failed, keeping the previous one", metadata: ["errors": "\(error)"])
            return .failure(error)
        }
    }

    static func loadConfiguration(_ options: ExporterOptions) throws(ConfigErrors) -> ExporterConfiguration {
        if let file = options.configFile { return try ExporterConfig.loadConfiguration(path: file) }
        return ExporterConfiguration(providers: discoverProviders(environment: options.environment))
    }
}

/// The providers of one shard, or all of them without `--shard`.
func sharded(_ configuration: ExporterConfiguration, _ shard: Shard?) -> ExporterConfiguration {
    guard let shard else { return configuration }
    var result = configuration
    result.providers = configuration.providers.filter { shard.owns($0.name) }
    return result
}

/// Lets routes built before the application exists call back into it (reload).
final class ApplicationBox: Sendable {
    private let box = Mutex<ExporterApplication?>(nil)
    var application: ExporterApplication? {
        get { box.withLock { $0 } }
        set { box.withLock { $0 = newValue } }
    }
}

/// "host:port", "[::1]:port" or ":port" (every interface, IPv6 and IPv4).
public func parseListenAddress(_ address: String) throws -> ListenAddress {
    guard let parsed = ListenAddress(parsing: address) else {
        throw StartupError(description: "--web.listen-address \"\(address)\" is not HOST:PORT, [IPv6]:PORT or :PORT")
    }
    return parsed
}

extension HTTPServer.Configuration {
    /// The web config file's TLS, basic auth users and response headers.
    mutating func apply(_ web: WebConfig) {
        tls = web.tlsSettings
        basicAuth = web.basicAuthUsers.isEmpty ? nil : BasicAuthenticator(users: web.basicAuthUsers)
        responseHeaders = web.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}

extension WebConfig {
    /// Loads the certificate, key and client CA files as the server will, as `promtool check web-config` does.
    public func checkTLSFiles() throws {
        try tlsSettings?.check()
    }

    var tlsSettings: TLSSettings? {
        tls.map { tls in
            TLSSettings(
                certificateFile: tls.certFile, privateKeyFile: tls.keyFile,
                clientCertificates: {
                    switch tls.clientAuth {
                    case .noClientCert: .none
                    case .requestClientCert: .request
                    case .requireAnyClientCert: .requireAny
                    case .verifyClientCertIfGiven: .verifyIfGiven
                    case .requireAndVerifyClientCert: .requireAndVerify
                    }
                }(),
                clientCAFile: tls.clientCAFile, minimumVersion: tls.minVersion.nio, maximumVersion: tls.maxVersion.nio)
        }
    }
}

extension TLSProtocolVersion {
    var nio: TLSVersion {
        switch self {
        case .tls10: .tlsv1
        case .tls11: .tlsv11
        case .tls12: .tlsv12
        case .tls13: .tlsv13
        }
    }
}

/// The HTTP server as a service: closes its socket on graceful shutdown.
struct HTTPServerService: Service {
    let server: HTTPServer
    func run() async throws {
        await withGracefulShutdownHandler {
            await server.closed()
        } onGracefulShutdown: {
            Task { await server.shutdown() }
        }
    }
}

/// Reloads the configuration on SIGHUP.
struct ReloadOnHangup: Service {
    let application: ExporterApplication
    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            application.reload()
        }
    }
}
