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
import Probing
import ProviderSimulator
import ServiceLifecycle
import UnixSignals

/// Everything the command line decides.
public struct ExporterOptions: Sendable {
    public var configFile: String?
    public var listenAddress = "0.0.0.0:9464"
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
        let (host, port) = try parseListenAddress(options.listenAddress)
        let appBox = ApplicationBox()
        let api = ExporterAPI(
            store: store, holder: aggregator.holder, history: history,
            checks: OnDemandChecks(store: store, client: client, environment: options.environment),
            admin: TokenGuard(token: adminToken, purpose: "admin routes", howToEnable: "start the exporter with --web.admin-token-file FILE to enable the admin routes"),
            ingestGuard: TokenGuard(token: ingestToken, purpose: "outcome ingest", howToEnable: ""),
            ingest: ingest, reload: { appBox.application?.reload() ?? .success(0) }, version: ExporterVersion.version)
        var router = ExporterRoutes.router(holder: aggregator.holder)
        api.register(in: &router)
        let server = try await HTTPServer.start(
            configuration: .init(
                host: host, port: port, maxBodyBytes: options.ingestLimits.maxBodyBytes,
                onBodyTooLarge: { path in if path == "/api/v1/outcomes" { ingest.countRejection(reason: "body_too_large") } }),
            router: router, logger: logger)
        logger.info(
            "listening",
            metadata: ["address": "\(host):\(server.localPort)", "providers": "\(configuration.providers.count)"])
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

/// "host:port", "[::1]:port" or ":port" (all interfaces).
public func parseListenAddress(_ address: String) throws -> (String, Int) {
    guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (0...65535).contains(port)
    else { throw StartupError(description: "--web.listen-address \"\(address)\" is not HOST:PORT") }
    var host = String(address[..<colon])
    if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    return (host.isEmpty ? "0.0.0.0" : host, port)
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
