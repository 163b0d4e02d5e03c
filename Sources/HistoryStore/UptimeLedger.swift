/// Fractions of the history's rows in which a provider was available, over the last day and week.
public struct Uptime: Sendable, Equatable {
    public var day: Double?
    public var week: Double?
    public init(day: Double?, week: Double?) {
        self.day = day
        self.week = week
    }
}

/// Every provider's rows and available rows per hour of the retention, kept in memory: loaded from the file
/// once, then added to by each append, so that a cycle's uptimes cost no query. Windows start on the hour: "the
/// last day" is the 24 whole hours before the current one, plus the current one.
struct UptimeLedger: Sendable, Equatable {
    private var hours: [String: [Int: UptimeTally]] = [:]

    static func hour(of timestamp: Double) -> Int { Int((timestamp / 3600).rounded(.down)) }

    mutating func add(_ rows: [HistoryRow]) {
        for row in rows where row.timestamp.isFinite && abs(row.timestamp) < 1e15 {
            add(provider: row.provider, hour: Self.hour(of: row.timestamp),
                tally: UptimeTally(rows: 1, available: row.available ? 1 : 0))
        }
    }

    mutating func add(provider: String, hour: Int, tally: UptimeTally) {
        hours[provider, default: [:]][hour] = (hours[provider]?[hour] ?? UptimeTally()) + tally
    }

    /// Forgets the hours that end before `cutoff`.
    mutating func prune(before cutoff: Double) {
        let first = Self.hour(of: cutoff)
        for (provider, perHour) in hours {
            let kept = perHour.filter { $0.key >= first }
            hours[provider] = kept.isEmpty ? nil : kept
        }
    }

    /// Every provider's uptime over the day and the week before `now`; nil fractions where it has no rows.
    func uptimes(at now: Double) -> [String: Uptime] {
        let current = Self.hour(of: now)
        return hours.mapValues { perHour in
            var day = UptimeTally()
            var week = UptimeTally()
            for (hour, tally) in perHour where hour <= current {
                if hour >= current - 24 { day = day + tally }
                if hour >= current - 7 * 24 { week = week + tally }
            }
            return Uptime(day: day.fraction, week: week.fraction)
        }
    }
}

/// Rows and rows available, for an uptime fraction.
struct UptimeTally: Equatable {
    var rows = 0
    var available = 0

    static func + (lhs: UptimeTally, rhs: UptimeTally) -> UptimeTally {
        UptimeTally(rows: lhs.rows + rhs.rows, available: lhs.available + rhs.available)
    }

    /// Fraction of rows that were available, 0...1; nil without rows.
    var fraction: Double? {
        rows > 0 ? Double(available) / Double(rows) : nil
    }

    init(rows: Int = 0, available: Int = 0) {
        self.rows = rows
        self.available = available
    }

    init(_ rows: some Sequence<HistoryRow>) {
        for row in rows {
            self.rows += 1
            if row.available { available += 1 }
        }
    }
}
