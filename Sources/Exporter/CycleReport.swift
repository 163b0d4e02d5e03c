import HealthCore
import HistoryStore

/// A status change seen by an aggregation cycle.
public struct StatusChange: Sendable, Equatable {
    public var provider: String
    public var from: ProviderStatus?
    public var to: ProviderStatus
}

/// Everything one aggregation cycle knows, frozen. /metrics, the JSON API, the status page and the history read
/// only this, so every answer describes one cycle, and says which.
public struct CycleReport: Sendable {
    /// Cycles since the exporter started, from 1.
    public var sequence: UInt64
    /// Unix time of the cycle.
    public var timestamp: Double
    public var configuration: ExporterConfiguration
    /// Sorted by provider name.
    public var providers: [ProviderReport]
    public var best: BestProviderChoice
    public var changes: [StatusChange]
    /// Uptime from the history as of this cycle (its own rows included); empty without history.
    public var uptimes: [String: Uptime] = [:]

    public var rollups: [ProviderRollup] { providers.map(\.rollup) }

    public func provider(named name: String) -> ProviderReport? {
        providers.first { $0.name == name }
    }
}
