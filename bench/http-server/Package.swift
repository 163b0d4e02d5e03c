// swift-tools-version:6.1
// The exporter's /metrics path served by its own HTTP server and by Hummingbird 2, from the same pre-rendered
// bodies with the same content negotiation, so that `bench/run.sh --only http-server` compares the two HTTP layers
// alone. A package of its own so that the exporter's build and CI never compile Hummingbird.
import PackageDescription

let package = Package(
    name: "http-server-bench",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "provider-health-exporter", path: "../.."),
        // Without the default traits: no swift-configuration and no full Foundation, the smallest Hummingbird.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // The four /metrics bodies read from files, and the headers the exporter sends with each.
        .target(
            name: "MetricsVariants",
            dependencies: [
                .product(name: "Exposition", package: "provider-health-exporter"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "metrics-server-nio",
            dependencies: [
                "MetricsVariants",
                .product(name: "ExporterServer", package: "provider-health-exporter"),
                .product(name: "Exposition", package: "provider-health-exporter"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "metrics-server-hummingbird",
            dependencies: [
                "MetricsVariants",
                // Linked as in the exporter (which keeps Router and its types), so that the size difference of the
                // two binaries is what Hummingbird adds.
                .product(name: "ExporterServer", package: "provider-health-exporter"),
                .product(name: "Exposition", package: "provider-health-exporter"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
