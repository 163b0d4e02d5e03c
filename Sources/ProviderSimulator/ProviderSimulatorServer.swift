import HealthCore
import Probing
import NIOCore
import NIOHTTP1
import NIOPosix

/// An HTTP/1.1 server on loopback that answers like real LLM providers, each under its own path prefix.
public final class ProviderSimulatorServer: Sendable {
    /// The port the server listens on.
    public let port: Int
    /// The host the base URLs use.
    public let host: String
    private let core: SimulatorCore
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel

    private init(port: Int, host: String, core: SimulatorCore, group: MultiThreadedEventLoopGroup, channel: any Channel) {
        self.port = port
        self.host = host
        self.core = core
        self.group = group
        self.channel = channel
    }

    /// Starts serving `providers`; port 0 picks a free port.
    public static func start(
        providers: [SimulatedProvider], host: String = "127.0.0.1", port: Int = 0
    ) async throws -> ProviderSimulatorServer {
        let core = try SimulatorCore(providers: providers)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: min(2, System.coreCount))
        do {
            let channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 1024)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { channel in
                    core.register(channel)
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
                        try channel.pipeline.syncOperations.addHandler(SimulatorConnectionHandler(core: core))
                    }
                }
                .bind(host: host, port: port).get()
            guard let bound = channel.localAddress?.port else {
                try? await channel.close()
                throw SimulatorStartError.noPort
            }
            return ProviderSimulatorServer(port: bound, host: host, core: core, group: group, channel: channel)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// The `base_url` a `ProviderSettings` of the provider's kind should use, e.g. `http://127.0.0.1:PORT/name/v1`.
    public func baseURL(for providerName: String) -> String {
        let root = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)/\(pathSafe(providerName))"
        switch core.mounted[pathSafe(providerName)]?.provider.kind {
        case .openai: return root + "/v1"
        case .openrouter: return root + "/api/v1"
        default: return root
        }
    }

    /// Requests the provider has received so far.
    public func requestCount(for providerName: String) -> Int { core.record(for: providerName).count }

    /// Headers of the provider's most recent request (empty before the first).
    public func lastRequestHeaders(for providerName: String) -> [(String, String)] {
        core.record(for: providerName).last?.headers ?? []
    }

    /// The provider's most recent request, nil before the first.
    public func lastRequest(for providerName: String) -> SimulatedRequest? { core.record(for: providerName).last }

    /// The providers this server simulates.
    public var providers: [SimulatedProvider] { core.mounted.values.map(\.provider).sorted { $0.name < $1.name } }

    /// Stops listening, drops every open connection (stalled ones too) and stops the event loops.
    public func shutdown() async throws {
        try? await channel.close()
        for connection in core.openConnections() {
            try? await connection.close()
        }
        try await group.shutdownGracefully()
    }
}

enum SimulatorStartError: Error {
    case noPort
}
