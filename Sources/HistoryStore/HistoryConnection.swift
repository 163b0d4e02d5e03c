import CSQLite

/// Opens the history database: WAL, synchronous=NORMAL, schema created when missing. `:memory:`
/// gives an in-memory database.
func openHistoryDatabase(path: String, readOnly: Bool) throws -> SQLiteDatabase {
    let database = try SQLiteDatabase(path: path, readOnly: readOnly)
    // Wait briefly for another process holding the lock, then queue instead.
    database.setBusyTimeout(milliseconds: 1000)
    // Reading the schema fails now, rather than at the first write, for a file that is not a database.
    try database.execute("SELECT * FROM sqlite_master LIMIT 1")
    // WAL with synchronous=NORMAL: a committed transaction survives the process being killed.
    // (An in-memory database has no WAL; a read-only connection cannot switch the file to it.)
    if !readOnly && path != HistoryStore.inMemoryPath {
        guard try database.fetchOne("PRAGMA journal_mode = WAL")?.string?.lowercased() == "wal" else {
            throw SQLiteError(resultCode: SQLITE_ERROR, message: "could not switch to WAL mode")
        }
    }
    try database.execute("PRAGMA synchronous = NORMAL")
    if !readOnly {
        try database.write { try HistoryDatabase.createSchema($0) }
    }
    return database
}

/// Whether a connection is still worth using after this failure. A full disk or a lock held by another
/// process passes on its own, and keeping the connection keeps the stored history readable meanwhile
/// (reopening would fail too: opening in WAL mode writes). Anything else (a file opened read-only,
/// removed, replaced or unreadable) needs a fresh open once it is fixed.
func connectionSurvives(_ error: any Error) -> Bool {
    guard let error = error as? SQLiteError else { return false }
    switch error.resultCode {
    case SQLITE_FULL, SQLITE_BUSY, SQLITE_LOCKED: return true
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
