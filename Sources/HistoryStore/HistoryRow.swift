import HealthCore

/// One provider's state at the end of one aggregation cycle: the unit the history keeps.
public struct HistoryRow: Sendable, Equatable, Codable {
    /// Unix seconds of the aggregation cycle.
    public var timestamp: Double
    public var provider: String
    /// A `ProviderStatus` raw value.
    public var status: String
    public var available: Bool
    public var healthScore: Double
    public var errorRate: Double
    public var p50LatencySeconds: Double?
    public var p95LatencySeconds: Double?
    public var results: Int
    public var modelsAvailable: Int
    public var modelsTotal: Int
    /// A `CircuitBreaker.State` raw value.
    public var breakerState: String

    public init(
        timestamp: Double, provider: String, status: String, available: Bool, healthScore: Double,
        errorRate: Double, p50LatencySeconds: Double?, p95LatencySeconds: Double?, results: Int,
        modelsAvailable: Int, modelsTotal: Int, breakerState: String
    ) {
        self.timestamp = timestamp
        self.provider = provider
        self.status = status
        self.available = available
        self.healthScore = healthScore
        self.errorRate = errorRate
        self.p50LatencySeconds = p50LatencySeconds
        self.p95LatencySeconds = p95LatencySeconds
        self.results = results
        self.modelsAvailable = modelsAvailable
        self.modelsTotal = modelsTotal
        self.breakerState = breakerState
    }

    /// JSON keys match the CSV header and the database columns.
    enum CodingKeys: String, CodingKey {
        case timestamp, provider, status, available
        case healthScore = "health_score"
        case errorRate = "error_rate"
        case p50LatencySeconds = "p50_latency_seconds"
        case p95LatencySeconds = "p95_latency_seconds"
        case results
        case modelsAvailable = "models_available"
        case modelsTotal = "models_total"
        case breakerState = "breaker_state"
    }
}

/// One history row per provider rollup, all stamped with the cycle's time.
public func historyRows(from rollups: [ProviderRollup], at timestamp: Double) -> [HistoryRow] {
    rollups.map { rollup in
        HistoryRow(
            timestamp: timestamp, provider: rollup.provider, status: rollup.status.rawValue,
            available: rollup.available, healthScore: rollup.healthScore, errorRate: rollup.errorRate,
            p50LatencySeconds: rollup.p50LatencySeconds, p95LatencySeconds: rollup.p95LatencySeconds,
            results: rollup.results, modelsAvailable: rollup.modelsAvailable, modelsTotal: rollup.modelsTotal,
            breakerState: rollup.breakerState.rawValue
        )
    }
}

extension HistoryRow {
    /// The same row with every non-finite number replaced. SQLite stores NaN as NULL, which a NOT NULL
    /// column rejects: one such row would fail every transaction and jam the queue for good. JSON
    /// cannot carry NaN or infinity either.
    var sanitized: HistoryRow {
        var row = self
        if !row.healthScore.isFinite { row.healthScore = 0 }
        if !row.errorRate.isFinite { row.errorRate = 1 }
        if let p50 = row.p50LatencySeconds, !p50.isFinite { row.p50LatencySeconds = nil }
        if let p95 = row.p95LatencySeconds, !p95.isFinite { row.p95LatencySeconds = nil }
        return row
    }

    /// What makes a row unique: one row per provider per cycle.
    var key: HistoryRowKey { HistoryRowKey(timestamp: timestamp, provider: provider) }

    /// History order: by time, then provider.
    static func chronological(_ lhs: HistoryRow, _ rhs: HistoryRow) -> Bool {
        lhs.timestamp != rhs.timestamp ? lhs.timestamp < rhs.timestamp : lhs.provider < rhs.provider
    }
}

struct HistoryRowKey: Hashable {
    var timestamp: Double
    var provider: String
}
