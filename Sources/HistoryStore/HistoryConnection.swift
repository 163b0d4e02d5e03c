import GRDB

/// Opens the history database: WAL, synchronous=NORMAL, schema created when missing. `:memory:`
/// gives an in-memory database.
func openHistoryDatabase(path: String, readOnly: Bool) throws -> any DatabaseWriter {
    var configuration = Configuration()
    configuration.readonly = readOnly
    let inMemory = path == HistoryStore.inMemoryPath
    // WAL with synchronous=NORMAL: a committed transaction survives the process being killed.
    // (An in-memory database has no WAL.)
    if !inMemory { configuration.journalMode = .wal }
    // Wait briefly for another process holding the lock, then queue instead.
    configuration.busyMode = .timeout(1)
    configuration.prepareDatabase { db in
        try db.execute(sql: "PRAGMA synchronous = NORMAL")
    }
    let writer = inMemory
        ? try DatabaseQueue(configuration: configuration)
        : try DatabaseQueue(path: path, configuration: configuration)
    if !readOnly {
        try writer.write { try HistoryDatabase.createSchema($0) }
    }
    return writer
}

/// Whether a connection is still worth using after this failure. A full disk or a lock held by another
/// process passes on its own, and keeping the connection keeps the stored history readable meanwhile
/// (reopening would fail too: opening in WAL mode writes). Anything else (a file opened read-only,
/// removed, replaced or unreadable) needs a fresh open once it is fixed.
func connectionSurvives(_ error: any Error) -> Bool {
    guard let error = error as? DatabaseError else { return false }
    switch error.resultCode {
    case .SQLITE_FULL, .SQLITE_BUSY, .SQLITE_LOCKED: return true
    default: return false
    }
}

/// Test seams: faults that fail writes for real even when running as root, which file permissions
/// do not.
struct HistoryOpenHooks: Sendable {
    /// Open the file read-only (SQLITE_OPEN_READONLY, as SQLite does by itself for a write-protected
    /// file): every write fails with SQLITE_READONLY.
    var readOnly: @Sendable () -> Bool = { false }
}
