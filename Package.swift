// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "provider-health-exporter",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "provider-health-exporter", targets: ["provider-health-exporter"]),
        // For bench/http-server, which serves /metrics through this server and through Hummingbird side by side.
        .library(name: "ExporterServer", targets: ["ExporterServer"]),
        .library(name: "Exposition", targets: ["Exposition"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        // Only its HummingbirdBcrypt product (a C bcrypt and a Swift wrapper) is built, for web-config basic auth.
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
    ],
    targets: [
        // Pure value code: results, window, score, breaker, status rules, rollup. No I/O.
        .target(name: "HealthCore"),
        // Pure exposition encoding: Prometheus text 0.0.4 and OpenMetrics 1.0.
        .target(name: "Exposition"),
        // The system's libyaml (Debian libyaml-dev to build, libyaml-0-2 to run): the YAML parser.
        .systemLibrary(name: "CLibYAML", providers: [.apt(["libyaml-dev"]), .brew(["libyaml"])]),
        // The system's SQLite (Debian libsqlite3-dev to build, libsqlite3-0 to run).
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]),
        // YAML configuration (strict keys, line numbers) and environment discovery.
        .target(name: "ExporterConfig", dependencies: ["HealthCore", "Probing", "CLibYAML"]),
        // One spec per provider kind (Probing/Kinds) and the prober that follows it, over a SwiftNIO HTTP/1.1
        // client with a hard deadline.
        .target(
            name: "Probing",
            dependencies: [
                "HealthCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
            ]
        ),
        // Simulated LLM providers on loopback: the demo, and the tests' fake providers.
        .target(
            name: "ProviderSimulator",
            dependencies: [
                "HealthCore", "Probing",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // Small SwiftNIO HTTP/1.1 server with a router, TLS (reloaded when its files change) and basic auth.
        .target(
            name: "ExporterServer",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            ]
        ),
        // Seven days of per-provider rows in SQLite; keeps rows in memory while the disk is away.
        .target(
            name: "HistoryStore",
            dependencies: ["HealthCore", "CSQLite"]
        ),
        // Pure HTML rendering of the human status page (overview and per-provider details), every outside
        // value escaped where it is written.
        .target(name: "StatusPage", dependencies: ["HealthCore"]),
        // Wiring: state store, scheduler, aggregator, snapshot rendering, services.
        .target(
            name: "Exporter",
            dependencies: [
                "HealthCore", "Exposition", "ExporterConfig", "Probing", "ProviderSimulator", "ExporterServer",
                "HistoryStore", "OutcomeIngest", "StatusPage",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // The structure of a JSON value 64 bytes at a time (SSE2 or NEON): how the ingest decoders pass over the
        // large parts of a gateway's payload they do not read.
        .target(name: "JSONStructure"),
        // Passive outcomes pushed by a gateway: a strict, allocation-light decoder and the batch caps.
        .target(
            name: "OutcomeIngest", dependencies: ["HealthCore", "JSONStructure"],
            // The OTLP messages the protobuf reader follows, for reference (nothing is generated from it).
            exclude: ["otlp-trace-excerpt.proto"]
        ),
        // One function per fuzzed entry point (config parser, outcome decoder, rate-limit headers) checking its
        // invariants: shared by the libFuzzer binaries of scripts/fuzz.sh and the corpus regression test.
        .target(name: "FuzzHarness", dependencies: ["ExporterConfig", "OutcomeIngest", "HealthCore", "Probing"]),
        // Release-build throughput check for the outcome decoder.
        .executableTarget(name: "ingest-bench", dependencies: ["OutcomeIngest", "HealthCore"]),
        // Release-build timing of aggregation cycles (roll-up and rendering) at 10k..1M results.
        .executableTarget(
            name: "aggregation-bench",
            dependencies: ["Exporter", "HealthCore", .product(name: "Logging", package: "swift-log")]
        ),
        // Release-build probe overhead over an injected delay, and the wall time of a 2,000-model cycle.
        .executableTarget(
            name: "probe-bench",
            dependencies: [
                "Exporter", "HealthCore", "Probing", .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "provider-health-exporter",
            dependencies: [
                "Exporter", "ExporterServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Helpers the test targets share (a seeded random generator).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "HealthCoreTests", dependencies: ["HealthCore", "TestSupport"]),
        .testTarget(name: "ExpositionTests", dependencies: ["Exposition", "TestSupport"]),
        .testTarget(name: "StatusPageTests", dependencies: ["StatusPage", "HealthCore"]),
        .testTarget(
            name: "OutcomeIngestTests", dependencies: ["OutcomeIngest", "HealthCore", "JSONStructure", "TestSupport"],
            resources: [.copy("testdata")]
        ),
        .testTarget(
            name: "ExporterConfigTests",
            dependencies: ["ExporterConfig", "HealthCore", "Probing"],
            resources: [.copy("testdata")]
        ),
        .testTarget(
            name: "ProbingTests",
            dependencies: [
                "HealthCore", "Probing", "ProviderSimulator", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(name: "HistoryStoreTests", dependencies: ["HistoryStore", "HealthCore"]),
        .testTarget(name: "FuzzCorpusTests", dependencies: ["FuzzHarness", "ExporterConfig", "OutcomeIngest", "HealthCore"]),
        .testTarget(
            name: "ExporterTests",
            dependencies: [
                "Exporter", "ExporterServer", "Exposition", "HealthCore", "HistoryStore", "OutcomeIngest", "Probing",
                "ProviderSimulator", "ExporterConfig", "TestSupport",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            ],
            // The golden exposition, read from the source tree (see GoldenExpositionTests).
            exclude: ["testdata"]
        ),
    ]
)
