import HealthCore

/// One provider as the status page shows it: the rollup of the last aggregation cycle plus what only the
/// history and the probe log know.
public struct StatusPageProvider: Sendable {
    public var rollup: ProviderRollup
    /// Fraction of the last 24 h the provider was available, 0...1; nil when there is no history.
    public var uptime24h: Double?
    /// Unix seconds of the last probe.
    public var lastCheck: Double?
    /// The last error message, as the provider (or the network) gave it. Shown escaped.
    public var lastError: String?

    public init(rollup: ProviderRollup, uptime24h: Double?, lastCheck: Double?, lastError: String?) {
        self.rollup = rollup
        self.uptime24h = uptime24h
        self.lastCheck = lastCheck
        self.lastError = lastError
    }
}
