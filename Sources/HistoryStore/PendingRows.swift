/// Rows that are not in the database yet, oldest first, bounded: past the capacity the oldest go first.
/// Pure value; the store guards it with a lock.
struct PendingRows {
    /// Rows kept after a failed write; at least 1.
    let capacity: Int
    /// Each row with its arrival number, so a write can remove exactly the rows it committed even when
    /// rows arrived or were dropped meanwhile.
    private(set) var entries: [(sequence: UInt64, row: HistoryRow)] = []
    private var nextSequence: UInt64 = 0
    /// Rows lost to overflow or refused as unusable, since start.
    private(set) var dropped: UInt64 = 0
    /// Rows committed to the database, since start.
    private(set) var written: UInt64 = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    var count: Int { entries.count }

    /// Queues rows; a row without a usable time is counted as dropped instead.
    mutating func enqueue(_ rows: [HistoryRow]) {
        for row in rows {
            guard row.timestamp.isFinite else {
                dropped += 1
                continue
            }
            entries.append((nextSequence, row.sanitized))
            nextSequence += 1
        }
    }

    /// Drops the oldest rows beyond the capacity.
    mutating func trimToCapacity() {
        let excess = entries.count - capacity
        guard excess > 0 else { return }
        entries.removeFirst(excess)
        dropped += UInt64(excess)
    }

    /// Everything queued now, and the arrival number to pass to `removeWritten` once it is committed.
    func batch() -> (rows: [HistoryRow], through: UInt64)? {
        guard let last = entries.last else { return nil }
        return (entries.map(\.row), last.sequence)
    }

    /// Forgets the rows of a committed batch (those that overflow did not drop meanwhile).
    mutating func removeWritten(through sequence: UInt64) {
        let committed = entries.prefix { $0.sequence <= sequence }.count
        entries.removeFirst(committed)
        written += UInt64(committed)
    }

    /// Forgets rows older than the retention, as the database does.
    mutating func prune(before cutoff: Double) {
        entries.removeAll { $0.row.timestamp < cutoff }
    }

    /// Queued rows at or after `since`, optionally for one provider, in queue order.
    func rows(since: Double, provider: String?) -> [HistoryRow] {
        entries.compactMap { entry in
            let row = entry.row
            return row.timestamp >= since && (provider == nil || row.provider == provider) ? row : nil
        }
    }
}

/// Stored rows and queued rows as one history, ordered by time then provider. A queued row replaces a
/// stored row of the same provider and cycle, as it will when it is written.
func mergeHistory(stored: [HistoryRow], queued: [HistoryRow]) -> [HistoryRow] {
    guard !queued.isEmpty else { return stored }
    let queuedKeys = Set(queued.map(\.key))
    let merged = stored.filter { !queuedKeys.contains($0.key) } + queued
    return merged.sorted(by: HistoryRow.chronological)
}
