
/// The SQL side of the history: schema, inserts, queries. Every function runs on a connection the
/// caller holds; none keeps state.
enum HistoryDatabase {
    /// Creates the table and its indexes when they are missing.
    static func createSchema(_ db: SQLiteDatabase) throws {
        try db.execute(
            """
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
    static func insert(_ rows: [HistoryRow], into db: SQLiteDatabase) throws {
        let statement = try db.prepare(
            """
                INSERT OR REPLACE INTO history (timestamp, provider, status, available, health_score, error_rate,
                    p50_latency_seconds, p95_latency_seconds, results, models_available, models_total, breaker_state)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        )
        for row in rows {
            try statement.run([
                .real(row.timestamp), .text(row.provider), .text(row.status), SQLiteValue(row.available),
                .real(row.healthScore), .real(row.errorRate), SQLiteValue(row.p50LatencySeconds),
                SQLiteValue(row.p95LatencySeconds), SQLiteValue(row.results), SQLiteValue(row.modelsAvailable),
                SQLiteValue(row.modelsTotal), .text(row.breakerState),
            ])
        }
    }

    /// Deletes rows older than `cutoff`; returns how many went.
    @discardableResult
    static func delete(before cutoff: Double, in db: SQLiteDatabase) throws -> Int {
        try db.execute("DELETE FROM history WHERE timestamp < ?", [.real(cutoff)])
        return db.changesCount
    }

    /// Rows at or after `since`, optionally for one provider, ordered by time then provider.
    static func rows(since: Double, provider: String?, in db: SQLiteDatabase) throws -> [HistoryRow] {
        let columns = "timestamp, provider, status, available, health_score, error_rate, p50_latency_seconds, "
            + "p95_latency_seconds, results, models_available, models_total, breaker_state"
        let fetched: [[SQLiteValue]]
        if let provider {
            fetched = try db.fetchAll(
                "SELECT \(columns) FROM history WHERE provider = ? AND timestamp >= ? ORDER BY timestamp",
                [.text(provider), .real(since)])
        } else {
            fetched = try db.fetchAll(
                "SELECT \(columns) FROM history WHERE timestamp >= ? ORDER BY timestamp, provider", [.real(since)])
        }
        return fetched.compactMap(historyRow)
    }

    /// Row counts per provider at or after `since`.
    /// Rows and available rows per provider and hour (Unix seconds / 3600, rounded down) since `since`.
    static func hourlyUptimeTallies(since: Double, in db: SQLiteDatabase) throws -> [(String, Int, UptimeTally)] {
        let sql = """
            SELECT provider, CAST(floor(timestamp / 3600.0) AS INTEGER), COUNT(*), SUM(available)
            FROM history WHERE timestamp >= ? GROUP BY 1, 2
            """
        return try db.fetchAll(sql, [.real(since)]).compactMap { row in
            guard let name = row[0].string, let hour = row[1].int else { return nil }
            let tally = UptimeTally(rows: row[2].int ?? 0, available: row[3].int ?? 0)
            return (name, hour, tally)
        }
    }

    /// `PRAGMA integrity_check`'s answer: "ok", or the problems found, one a line.
    static func integrityCheck(_ db: SQLiteDatabase) throws -> String {
        try db.fetchAll("PRAGMA integrity_check").compactMap { $0.first?.string }.joined(separator: "\n")
    }

    /// Decodes leniently: the file may have been edited by hand, and a value of the wrong type is read as
    /// missing rather than stopping the process. A row without a time or provider is skipped.
    private static func historyRow(_ row: [SQLiteValue]) -> HistoryRow? {
        guard row.count == 12, let timestamp = row[0].double, let provider = row[1].string else { return nil }
        return HistoryRow(
            timestamp: timestamp, provider: provider, status: row[2].string ?? "", available: row[3].bool ?? false,
            healthScore: row[4].double ?? 0, errorRate: row[5].double ?? 0, p50LatencySeconds: row[6].double,
            p95LatencySeconds: row[7].double, results: row[8].int ?? 0, modelsAvailable: row[9].int ?? 0,
            modelsTotal: row[10].int ?? 0, breakerState: row[11].string ?? ""
        )
    }
}

/// A short, single-line description of a database failure for logs and the API.
func describeDatabaseError(_ error: any Error) -> String {
    if let error = error as? SQLiteError {
        return "SQLite error \(error.resultCode): \(error.message)"
    }
    return String(describing: error)
}
