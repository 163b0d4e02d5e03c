import Synchronization

/// Why a history query could not be answered.
public enum HistoryError: Error, Sendable, Equatable {
    /// The database is open but reading it failed; the message says why.
    case readFailed(String)
}

/// Seven days (by default) of per-provider rows in one SQLite file, in WAL mode, one committed
/// transaction per write.
///
/// The store never throws and never stops the process: when the file cannot be opened or written
/// (missing or read-only directory, disk full, locked), rows wait in a bounded in-memory queue and are
/// written by a later `append` or `retryPending`; queries answer from the file plus the queue meanwhile.
/// The path `:memory:` keeps the history in memory only.
public final class HistoryStore: Sendable {
    public let path: String
    public let retentionSeconds: Double
    private let hooks: HistoryOpenHooks
    /// Serialises every use of the database (open, write, read, prune). Queries hold it too, so a
    /// query sees each row exactly once: either still queued or already committed.
    private let connection = Mutex<ConnectionState>(ConnectionState())
    /// Rows waiting and the counters; taken briefly, inside `connection` when both are needed.
    private let pending: Mutex<PendingState>

    private struct ConnectionState: Sendable {
        var writer: SQLiteDatabase?
        /// Loaded with the first uptime asked for; then kept up to date under this lock with every append.
        var ledger: UptimeLedger?
    }

    private struct PendingState {
        var rows: PendingRows
        var lastError: String?
    }

    /// Opens (or creates) the history at `path`. Never throws: when the file cannot be opened, the
    /// failure is in `lastError` and the next `append`, `retryPending` or query tries again.
    public convenience init(path: String, retentionSeconds: Double = 7 * 86400, maxQueuedRows: Int = 50_000) {
        self.init(
            path: path, retentionSeconds: retentionSeconds, maxQueuedRows: maxQueuedRows, hooks: HistoryOpenHooks())
    }

    init(path: String, retentionSeconds: Double, maxQueuedRows: Int, hooks: HistoryOpenHooks) {
        self.path = path
        self.retentionSeconds = retentionSeconds.isFinite && retentionSeconds > 0 ? retentionSeconds : 7 * 86400
        self.hooks = hooks
        self.pending = Mutex(PendingState(rows: PendingRows(capacity: maxQueuedRows)))
        connection.withLock { flush(&$0) }
    }

    /// True when the history lives in memory only.
    public var isInMemory: Bool { path == HistoryStore.inMemoryPath }
    public static let inMemoryPath = ":memory:"

    // MARK: Writing

    /// Queues the rows, then writes everything queued in one transaction. When the write fails the
    /// rows stay queued (the oldest are dropped beyond `maxQueuedRows`).
    public func append(_ rows: [HistoryRow]) {
        connection.withLock { state in
            pending.withLock { $0.rows.enqueue(rows) }
            state.ledger?.add(rows)
            flush(&state)
        }
        pending.withLock { $0.rows.trimToCapacity() }
    }

    /// Tries again to open the file and write what is queued; call it once per cycle.
    public func retryPending() {
        connection.withLock { flush(&$0) }
    }

    /// Deletes rows older than the retention, from the file and from the queue.
    public func prune(now: Double) {
        guard now.isFinite else { return }
        let cutoff = now - retentionSeconds
        connection.withLock { state in
            pending.withLock { $0.rows.prune(before: cutoff) }
            state.ledger?.prune(before: cutoff)
            guard let writer = openIfNeeded(&state) else { return }
            do {
                _ = try writer.write { try HistoryDatabase.delete(before: cutoff, in: $0) }
            } catch {
                failed(error, doing: "prune", state: &state)
            }
        }
    }

    // MARK: Reading

    /// Rows at or after `since` (optionally of one provider), ordered by time then provider, queued
    /// rows included. Fails only when the open database cannot be read; when the file cannot be
    /// opened at all, the queued rows are the whole answer.
    public func rows(since: Double, provider: String? = nil) -> Result<[HistoryRow], HistoryError> {
        connection.withLock { state in
            let queued = pending.withLock { $0.rows.rows(since: since, provider: provider) }
            guard let writer = openIfNeeded(&state) else {
                return .success(queued.sorted(by: HistoryRow.chronological))
            }
            do {
                let stored = try writer.read { try HistoryDatabase.rows(since: since, provider: provider, in: $0) }
                return .success(mergeHistory(stored: stored, queued: queued))
            } catch {
                return .failure(.readFailed(describeDatabaseError(error)))
            }
        }
    }

    /// Every provider's uptime over the day and the week before `now` (windows start on the hour), from the
    /// file and the queue. The first call reads the file once; later ones cost no query. Empty when the file
    /// cannot be read and nothing is queued.
    public func uptimes(at now: Double) -> [String: Uptime] {
        connection.withLock { state in
            if state.ledger == nil { state.ledger = loadLedger(&state, since: now - retentionSeconds) }
            return state.ledger?.uptimes(at: now) ?? [:]
        }
    }

    /// "ok" when `PRAGMA integrity_check` passes, otherwise its findings; nil when the database cannot be
    /// opened or read.
    public func integrityCheck() -> String? {
        connection.withLock { state in
            guard let writer = openIfNeeded(&state) else { return nil }
            return try? writer.read { try HistoryDatabase.integrityCheck($0) }
        }
    }

    // MARK: Counters

    /// Rows waiting to be written.
    public var queuedRows: Int { pending.withLock { $0.rows.count } }
    /// Rows lost since start: the oldest queued rows beyond the bound, and rows without a usable time.
    public var droppedRows: UInt64 { pending.withLock { $0.rows.dropped } }
    /// Rows committed to the database since start.
    public var writtenRows: UInt64 { pending.withLock { $0.rows.written } }
    /// Why the last open, write or prune failed; nil once a write (or an open with nothing waiting)
    /// succeeds again.
    public var lastError: String? { pending.withLock { $0.lastError } }

    // MARK: Internals

    /// The ledger of the file's rows and the queued ones; nil when the file is there but cannot be read (the
    /// next call tries again). Caller holds `connection`.
    private func loadLedger(_ state: inout ConnectionState, since: Double) -> UptimeLedger? {
        var ledger = UptimeLedger()
        ledger.add(pending.withLock { $0.rows.rows(since: since, provider: nil) })
        guard let writer = openIfNeeded(&state) else { return ledger }
        guard let stored = try? writer.read({ try HistoryDatabase.hourlyUptimeTallies(since: since, in: $0) }) else {
            return nil
        }
        for (provider, hour, tally) in stored { ledger.add(provider: provider, hour: hour, tally: tally) }
        return ledger
    }

    /// Writes every queued row in one transaction, then forgets exactly those rows. Caller holds
    /// `connection`.
    private func flush(_ state: inout ConnectionState) {
        guard let writer = openIfNeeded(&state) else { return }
        guard let batch = pending.withLock({ $0.rows.batch() }) else {
            pending.withLock { $0.lastError = nil }
            return
        }
        do {
            try writer.write { try HistoryDatabase.insert(batch.rows, into: $0) }
            pending.withLock {
                $0.rows.removeWritten(through: batch.through)
                $0.lastError = nil
            }
        } catch {
            failed(error, doing: "write", state: &state)
        }
    }

    /// Records a failure, and drops the connection when reopening can cure it (see
    /// `connectionSurvives`). An in-memory connection is the history itself, so it is always kept.
    private func failed(_ error: any Error, doing action: String, state: inout ConnectionState) {
        let message = "cannot \(action) history \(path): \(describeDatabaseError(error))"
        pending.withLock { $0.lastError = message }
        if !isInMemory && !connectionSurvives(error) { state.writer = nil }
    }

    /// The open connection, opening it first when needed; nil (with `lastError` set) when that fails.
    /// A successful open leaves `lastError` alone: only a write proves the file is usable again.
    private func openIfNeeded(_ state: inout ConnectionState) -> SQLiteDatabase? {
        if let writer = state.writer { return writer }
        do {
            let writer = try openHistoryDatabase(path: path, readOnly: hooks.readOnly())
            state.writer = writer
            return writer
        } catch {
            pending.withLock { $0.lastError = "cannot open history \(path): \(describeDatabaseError(error))" }
            return nil
        }
    }
}

extension HistoryStore {
    /// Test seam: runs `body` on the open connection, outside any transaction; nil when there is none.
    func withOpenConnection<T>(_ body: @Sendable (SQLiteDatabase) throws -> T) -> T? {
        connection.withLock { state in
            try? state.writer.flatMap(body)
        }
    }
}
