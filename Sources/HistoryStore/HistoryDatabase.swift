import GRDB

/// The SQL side of the history: schema, inserts, queries. Every function runs on a connection the
/// caller holds; none keeps state.
enum HistoryDatabase {
    /// Creates the table and its indexes when they are missing.
    static func createSchema(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE IF NOT EXISTS history (
                    timestamp REAL NOT NULL,
                    provider TEXT NOT NULL,
                    status TEXT NOT NULL,
                    available INTEGER NOT NULL,
                    health_score REAL NOT NULL,
                    error_rate REAL NOT NULL,
                    p50_latency_seconds REAL,
                    p95_latency_seconds REAL,
                    results INTEGER NOT NULL,
                    models_available INTEGER NOT NULL,
                    models_total INTEGER NOT NULL,
                    breaker_state TEXT NOT NULL
                );
                CREATE UNIQUE INDEX IF NOT EXISTS history_provider_time ON history (provider, timestamp);
                CREATE INDEX IF NOT EXISTS history_time ON history (timestamp);
                """
        )
    }

    /// Inserts rows; a row for a provider and cycle already stored replaces it, so writing a batch
    /// twice is harmless.
    static func insert(_ rows: [HistoryRow], into db: Database) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT OR REPLACE INTO history (timestamp, provider, status, available, health_score, error_rate,
                    p50_latency_seconds, p95_latency_seconds, results, models_available, models_total, breaker_state)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        )
        for row in rows {
            try statement.execute(arguments: [
                row.timestamp, row.provider, row.status, row.available, row.healthScore, row.errorRate,
                row.p50LatencySeconds, row.p95LatencySeconds, row.results, row.modelsAvailable, row.modelsTotal,
                row.breakerState,
            ])
        }
    }

    /// Deletes rows older than `cutoff`; returns how many went.
    @discardableResult
    static func delete(before cutoff: Double, in db: Database) throws -> Int {
        try db.execute(sql: "DELETE FROM history WHERE timestamp < ?", arguments: [cutoff])
        return db.changesCount
    }

    /// Rows at or after `since`, optionally for one provider, ordered by time then provider.
    static func rows(since: Double, provider: String?, in db: Database) throws -> [HistoryRow] {
        let columns = "timestamp, provider, status, available, health_score, error_rate, p50_latency_seconds, "
            + "p95_latency_seconds, results, models_available, models_total, breaker_state"
        let fetched: [Row]
        if let provider {
            fetched = try Row.fetchAll(
                db, sql: "SELECT \(columns) FROM history WHERE provider = ? AND timestamp >= ? ORDER BY timestamp",
                arguments: [provider, since])
        } else {
            fetched = try Row.fetchAll(
                db, sql: "SELECT \(columns) FROM history WHERE timestamp >= ? ORDER BY timestamp, provider",
                arguments: [since])
        }
        return fetched.compactMap(historyRow)
    }

    /// Row counts per provider at or after `since`.
    /// Rows and available rows per provider and hour (Unix seconds / 3600, rounded down) since `since`.
    static func hourlyUptimeTallies(since: Double, in db: Database) throws -> [(String, Int, UptimeTally)] {
        let sql = """
            SELECT provider, CAST(floor(timestamp / 3600.0) AS INTEGER), COUNT(*), SUM(available)
            FROM history WHERE timestamp >= ? GROUP BY 1, 2
            """
        return try Row.fetchAll(db, sql: sql, arguments: [since]).compactMap { row in
            guard let name = String.fromDatabaseValue(row[0]), let hour = Int.fromDatabaseValue(row[1]) else { return nil }
            let tally = UptimeTally(rows: Int.fromDatabaseValue(row[2]) ?? 0, available: Int.fromDatabaseValue(row[3]) ?? 0)
            return (name, hour, tally)
        }
    }

    /// `PRAGMA integrity_check`'s answer: "ok", or the problems found, one a line.
    static func integrityCheck(_ db: Database) throws -> String {
        try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "\n")
    }

    /// Decodes leniently: GRDB's typed subscripts stop the process on a value of the wrong type, and the
    /// file may have been edited by hand. A row without a time or provider is skipped.
    private static func historyRow(_ row: Row) -> HistoryRow? {
        func value<Value: DatabaseValueConvertible>(_ index: Int) -> Value? {
            Value.fromDatabaseValue(row[index])
        }
        guard let timestamp: Double = value(0), let provider: String = value(1) else { return nil }
        return HistoryRow(
            timestamp: timestamp, provider: provider, status: value(2) ?? "", available: value(3) ?? false,
            healthScore: value(4) ?? 0, errorRate: value(5) ?? 0, p50LatencySeconds: value(6),
            p95LatencySeconds: value(7), results: value(8) ?? 0, modelsAvailable: value(9) ?? 0,
            modelsTotal: value(10) ?? 0, breakerState: value(11) ?? ""
        )
    }
}

/// A short, single-line description of a database failure for logs and the API.
func describeDatabaseError(_ error: any Error) -> String {
    if let error = error as? DatabaseError {
        return "SQLite error \(error.resultCode.rawValue): \(error.message ?? "unknown")"
    }
    return String(describing: error)
}
