import ArgumentParser
#if canImport(Glibc)
    import Glibc
#endif
import Exporter
import ExporterConfig
import ExporterServer
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HealthCore
import Logging
import OutcomeIngest

/// Only wiring: flags → ExporterOptions → ExporterApplication.
@main
struct ProviderHealthExporter: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provider-health-exporter",
        abstract: "Watches the health of LLM API providers and exports it to Prometheus.",
        version: ExporterVersion.version)

    /// On Linux the Swift runtime reads the command line from `/proc/self/cmdline`: where `/proc` is not mounted
    /// (a bare chroot) it sees no arguments at all, not even the program's name, and the exporter would silently
    /// serve its defaults instead of the configuration it was given. That is refused with a clear error.
    static func main() async {
        guard !CommandLine.arguments.isEmpty else {
            let message = "provider-health-exporter: cannot read the command line (is /proc mounted?)\n"
            _ = message.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
            Glibc.exit(2)
        }
        await main(nil)
    }

    @Option(name: .customLong("config.file"), help: "YAML configuration file. Without it, providers are discovered from the environment.")
    var configFile: String?

    @Flag(name: .customLong("config.check"), help: "Validate the configuration, print every problem and exit (non-zero when invalid).")
    var configCheck = false

    @Option(
        name: .customLong("web.listen-address"),
        help: "Address to listen on: HOST:PORT, [IPv6]:PORT, or :PORT for every interface. Repeat for several (default :9464).")
    var listenAddresses: [String] = []

    @Option(
        name: .customLong("web.config.file"),
        help: "Prometheus exporter-toolkit web config (TLS, basic_auth_users, response headers); promtool check web-config validates it.")
    var webConfigFile: String?

    @Option(name: .customLong("web.telemetry-path"), help: "Path under which to serve the metrics.")
    var telemetryPath = "/metrics"

    @Flag(
        name: .customLong("web.allow-anonymous-writes"),
        help: "Let anyone who reaches the port post outcomes and call the admin routes that have no token file (default: 401).")
    var allowAnonymousWrites = false

    @Flag(name: .customLong("demo"), help: "Monitor built-in simulated providers on loopback (no API keys needed).")
    var demo = false

    @Option(name: .customLong("demo.providers"), help: "Number of simulated providers (default: one per behaviour, 6).")
    var demoProviders: Int?

    @Option(name: .customLong("demo.models"), help: "Models per simulated provider (default 3).")
    var demoModels: Int?

    @Option(name: .customLong("aggregation.interval"), help: "Time between aggregation cycles, e.g. 30s.")
    var aggregationInterval: String?

    @Option(name: .customLong("namespace"), help: "Prefix for every metric name.")
    var namespace: String?

    @Option(name: .customLong("shard"), help: "Watch only shard I of N (I/N, 0 ≤ I < N): providers are split by a stable hash of their name.")
    var shard: String?

    @Option(name: .customLong("history.path"), help: "SQLite file for the 7-day history; :memory: keeps none on disk.")
    var historyPath = "provider-health-history.sqlite"

    @Option(name: .customLong("web.admin-token-file"), help: "File holding the bearer token the admin routes require (check, reset, reload).")
    var adminTokenFile: String?

    @Option(name: .customLong("web.ingest-token-file"), help: "File holding the bearer token POST /api/v1/outcomes requires.")
    var ingestTokenFile: String?

    @Option(name: .customLong("ingest.max-body-bytes"), help: "Largest outcome request body.")
    var ingestMaxBodyBytes = IngestLimits().maxBodyBytes

    @Option(name: .customLong("ingest.max-batch"), help: "Most outcomes in one request.")
    var ingestMaxBatch = IngestLimits().maxBatchSize

    @Option(name: .customLong("ingest.max-models-per-provider"), help: "Most distinct models tracked per provider.")
    var ingestMaxModels = IngestLimits().maxModelsPerProvider

    @Flag(name: .customLong("ingest.accept-unknown-providers"), help: "Track outcomes of providers the configuration does not name (default: reject them).")
    var acceptUnknownProviders = false

    @Option(name: .customLong("log.level"), help: "debug, info, warn or error.")
    var logLevel = "info"

    @Option(name: .customLong("log.format"), help: "logfmt or json.")
    var logFormat = "logfmt"

    func validate() throws {
        if let aggregationInterval, (parseDuration(aggregationInterval) ?? 0) <= 0 {
            throw ValidationError("--aggregation.interval \"\(aggregationInterval)\" is not a positive duration such as 30s")
        }
        for address in listenAddresses where ListenAddress(parsing: address) == nil {
            throw ValidationError("--web.listen-address \"\(address)\" is not HOST:PORT, [IPv6]:PORT or :PORT")
        }
        if !telemetryPath.hasPrefix("/") || telemetryPath == "/" || telemetryPath.contains("?") {
            throw ValidationError("--web.telemetry-path \"\(telemetryPath)\" must be a path such as /metrics (not /, the status page)")
        }
        if let demoProviders, demoProviders < 1 { throw ValidationError("--demo.providers must be at least 1") }
        if let demoModels, demoModels < 1 { throw ValidationError("--demo.models must be at least 1") }
        if let shard, Shard(shard) == nil { throw ValidationError("--shard \"\(shard)\" is not I/N with 0 ≤ I < N") }
        if ingestMaxBodyBytes < 1 || ingestMaxBatch < 1 || ingestMaxModels < 1 {
            throw ValidationError("--ingest.* limits must be at least 1")
        }
        if LogFormat(rawValue: logFormat) == nil { throw ValidationError("--log.format must be logfmt or json") }
        if Self.level(logLevel) == nil { throw ValidationError("--log.level must be debug, info, warn or error") }
        if let namespace, !namespace.isEmpty,
            namespace.first!.isNumber || !namespace.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
        {
            throw ValidationError("--namespace \"\(namespace)\" is not a valid metric name prefix ([a-zA-Z_][a-zA-Z0-9_]*)")
        }
    }

    static func level(_ text: String) -> Logger.Level? {
        switch text.lowercased() {
        case "debug": return .debug
        case "info": return .info
        case "warn", "warning": return .warning
        case "error": return .error
        default: return nil
        }
    }

    func run() async throws {
        ProcessMemory.keepLargeBuffersMapped()
        if configCheck {
            guard configFile != nil || webConfigFile != nil else {
                print("--config.check needs --config.file or --web.config.file")
                throw ExitCode(2)
            }
            var valid = true
            if let configFile {
                do {
                    let config = try loadConfiguration(path: configFile)
                    print("\(configFile): OK, \(config.providers.count) provider(s)")
                } catch {
                    for problem in error.errors { print(problem) }
                    valid = false
                }
            }
            if let webConfigFile {
                switch Result(catching: { () throws(ConfigErrors) in try loadWebConfig(path: webConfigFile) }) {
                case .failure(let error):
                    for problem in error.errors { print(problem) }
                    valid = false
                case .success(let web):
                    // Like promtool check web-config, the certificate and key must load too.
                    do {
                        try web.checkTLSFiles()
                        print("\(webConfigFile): OK, TLS \(web.tls == nil ? "off" : "on"), \(web.basicAuthUsers.count) basic auth user(s)")
                    } catch {
                        print("\(webConfigFile): \(error)")
                        valid = false
                    }
                }
            }
            if !valid { throw ExitCode(1) }
            return
        }

        let level = Self.level(logLevel) ?? .info
        let format = LogFormat(rawValue: logFormat) ?? .logfmt
        LoggingSystem.bootstrap { StructuredLogHandler(label: $0, level: level, format: format) }
        let logger = Logger(label: "provider-health-exporter")
        // Every connection holds a file descriptor: use all the process may have, as Go programs do.
        if let (before, after) = FileDescriptorLimit.raiseSoftLimitToHard(), after.soft != before.soft {
            logger.debug("raised the open files limit", metadata: ["from": "\(before.soft)", "to": "\(after.soft)"])
        }

        var options = ExporterOptions()
        options.configFile = configFile
        if !listenAddresses.isEmpty { options.listenAddresses = listenAddresses }
        options.webConfigFile = webConfigFile
        options.telemetryPath = telemetryPath
        options.allowAnonymousWrites = allowAnonymousWrites
        options.demo = demo
        options.demoProviders = demoProviders
        options.demoModels = demoModels
        options.aggregationIntervalSeconds = aggregationInterval.flatMap(parseDuration)
        options.namespace = namespace
        options.shard = shard.flatMap(Shard.init)
        options.historyPath = historyPath.isEmpty ? nil : historyPath
        options.adminTokenFile = adminTokenFile
        options.ingestTokenFile = ingestTokenFile
        options.ingestLimits.maxBodyBytes = ingestMaxBodyBytes
        options.ingestLimits.maxBatchSize = ingestMaxBatch
        options.ingestLimits.maxModelsPerProvider = ingestMaxModels
        options.ingestLimits.acceptUnknownProviders = acceptUnknownProviders
        options.logLevel = level
        options.logFormat = format

        let app: ExporterApplication
        do {
            app = try await ExporterApplication.start(options, logger: logger)
        } catch let error as ConfigErrors {
            for problem in error.errors { logger.error("invalid configuration", metadata: ["problem": "\(problem)"]) }
            throw ExitCode(1)
        } catch {
            logger.error("cannot start", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        try await app.run()
    }
}
