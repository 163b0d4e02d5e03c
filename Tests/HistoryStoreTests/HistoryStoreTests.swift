import CSQLite
import Foundation
import Testing

@testable import HistoryStore

@Suite struct HistoryStoreTests {
    let day = 86_400.0
    let now = 1_700_000_000.0

    @Test func appendedRowsReadBackInTimeThenProviderOrder() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = HistoryStore(path: directory.path("history.sqlite"))
        store.append([row(now, "openai"), row(now, "anthropic")])
        store.append([row(now + 30, "openai", available: false), row(now + 30, "anthropic")])

        let all = try store.rows(since: now).get()
        #expect(all.map(\.provider) == ["anthropic", "openai", "anthropic", "openai"])
        #expect(all.map(\.timestamp) == [now, now, now + 30, now + 30])
        #expect(all[3] == row(now + 30, "openai", available: false))
        #expect(try store.rows(since: now + 1).get().count == 2)
        #expect(try store.rows(since: now, provider: "openai").get().map(\.available) == [true, false])
        #expect(try store.rows(since: now, provider: "nobody").get().isEmpty)
        #expect(store.queuedRows == 0)
        #expect(store.writtenRows == 4)
        #expect(store.lastError == nil)
        #expect(store.integrityCheck() == "ok")
    }

    @Test func theFileIsInWALMode() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("history.sqlite")
        let store = HistoryStore(path: path)
        store.append([row(now)])
        let mode = try SQLiteDatabase(path: path, readOnly: true).fetchOne("PRAGMA journal_mode")?.string
        #expect(mode == "wal")
    }

    @Test func pruneKeepsExactlyTheRowsWithinTheRetention() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("history.sqlite")
        let store = HistoryStore(path: path, retentionSeconds: 7 * day)
        let cutoff = now - 7 * day
        store.append([row(cutoff - 30), row(cutoff - 0.001), row(cutoff), row(cutoff + 30), row(now)])
        store.prune(now: now)
        #expect(try store.rows(since: 0).get().map(\.timestamp) == [cutoff, cutoff + 30, now])
        #expect(try HistoryStore(path: path).rows(since: 0).get().count == 3)
    }

    @Test func uptimeOverADayAndAWeek() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = HistoryStore(path: directory.path("history.sqlite"))
        // Six days ago: 4 rows down. Within the last day: 3 up, 1 down. Another provider always up.
        store.append((0..<4).map { row(now - 6 * day + Double($0) * 30, available: false) })
        store.append((0..<4).map { row(now - 3600 + Double($0) * 30, available: $0 != 2) })
        store.append([row(now, "groq")])

        store.append([row(now + 2 * 3600, available: false)])  // after `now`: not counted

        let uptimes = store.uptimes(at: now)
        #expect(uptimes["openai"] == Uptime(day: 0.75, week: 3.0 / 8.0))
        #expect(uptimes["groq"] == Uptime(day: 1, week: 1))
        #expect(uptimes["unknown"] == nil)
        // Later appends are counted without reading the file again, and a new store on the same file agrees.
        store.append([row(now + 60, "groq", available: false)])
        #expect(store.uptimes(at: now)["groq"] == Uptime(day: 0.5, week: 0.5))
        let reopened = HistoryStore(path: store.path).uptimes(at: now)
        #expect(reopened == store.uptimes(at: now))
    }

    @Test func uptimeForgetsPrunedHours() throws {
        let store = HistoryStore(path: HistoryStore.inMemoryPath, retentionSeconds: 7 * day)
        store.append([row(now - 2 * day, available: false), row(now - 60)])
        #expect(store.uptimes(at: now)["openai"] == Uptime(day: 1, week: 0.5))
        store.prune(now: now + 5 * day + 7200)
        #expect(store.uptimes(at: now)["openai"] == Uptime(day: 1, week: 1))
    }

    @Test func aNewStoreOnTheSameFileSeesEveryRow() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("history.sqlite")
        let written = (0..<50).flatMap { cycle in
            ["openai", "anthropic", "groq"].map { row(now + Double(cycle) * 30, $0, available: cycle % 7 != 0) }
        }
        do {
            let store = HistoryStore(path: path)
            for cycle in stride(from: 0, to: written.count, by: 3) {
                store.append(Array(written[cycle..<cycle + 3]))
            }
        }
        let reopened = HistoryStore(path: path)
        #expect(try reopened.rows(since: 0).get() == written.sorted(by: HistoryRow.chronological))
        #expect(reopened.integrityCheck() == "ok")
    }

    @Test func rowsAreCommittedWhenAppendReturns() throws {
        // What survives a SIGKILL right after `append`: a committed WAL transaction, visible to
        // another connection while the store is still open.
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("history.sqlite")
        let store = HistoryStore(path: path)
        store.append([row(now, "openai"), row(now, "groq")])
        let other = try SQLiteDatabase(path: path, readOnly: true)
        #expect(try other.fetchOne("SELECT COUNT(*) FROM history")?.int == 2)
        #expect(store.queuedRows == 0)
    }

    /// Running as root, file permissions do not stop writes, so the fault is a connection opened with
    /// SQLITE_OPEN_READONLY (what SQLite itself does for a read-only file): every write fails with
    /// SQLITE_READONLY for any user.
    @Test func rowsWaitWhileTheFileIsReadOnlyAndAreWrittenWhenItIsWritableAgain() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("history.sqlite")
        let first = HistoryStore(path: path)
        first.append([row(now), row(now + 30)])

        let readOnly = Switch(true)
        let store = HistoryStore(
            path: path, retentionSeconds: 7 * day, maxQueuedRows: 100,
            hooks: HistoryOpenHooks(readOnly: { readOnly.isOn }))
        store.append([row(now + 60, available: false)])
        store.append([row(now + 90)])
        #expect(store.queuedRows == 2)
        #expect(store.droppedRows == 0)
        #expect(store.writtenRows == 0)
        #expect(store.lastError?.contains("SQLite error 8") == true)  // SQLITE_READONLY
        // The API still answers, from the file plus the queue.
        #expect(try store.rows(since: 0).get().map(\.timestamp) == [now, now + 30, now + 60, now + 90])
        #expect(store.uptimes(at: now + 90)["openai"]?.day == 0.75)

        store.retryPending()
        #expect(store.queuedRows == 2)

        readOnly.set(false)
        store.retryPending()
        #expect(store.queuedRows == 0)
        #expect(store.writtenRows == 2)
        #expect(store.lastError == nil)
        #expect(store.integrityCheck() == "ok")
        let reopened = try HistoryStore(path: path).rows(since: 0).get()
        #expect(reopened.map(\.timestamp) == [now, now + 30, now + 60, now + 90])
    }

    /// A full disk, made real with `PRAGMA max_page_count` on the store's open connection: the file may
    /// not grow, so inserts that need a new page fail with SQLITE_FULL, for root too.
    @Test func rowsWaitWhileTheDiskIsFullAndAreWrittenWhenThereIsRoomAgain() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("history.sqlite")
        let store = HistoryStore(path: path, retentionSeconds: 7 * day, maxQueuedRows: 10_000)
        store.append([row(now)])
        let limited = store.withOpenConnection { db in
            let pages = try db.fetchOne("PRAGMA page_count")?.int ?? 1
            return try db.fetchOne("PRAGMA max_page_count = \(pages)")?.int
        }
        #expect(limited != nil)

        let burst = (1...2_000).map { row(now + Double($0), "provider-with-a-long-name-\($0)") }
        store.append(burst)
        #expect(store.queuedRows == 2_000)
        #expect(store.lastError?.contains("SQLite error 13") == true)  // SQLITE_FULL
        // The stored history stays readable while the disk is full.
        #expect(try store.rows(since: 0).get().count == 2_001)
        store.retryPending()
        #expect(store.queuedRows == 2_000)

        _ = store.withOpenConnection { db in try db.fetchOne("PRAGMA max_page_count = 1073741823") }
        store.retryPending()
        #expect(store.queuedRows == 0)
        #expect(store.writtenRows == 2_001)
        #expect(store.lastError == nil)
        #expect(store.integrityCheck() == "ok")
        #expect(try HistoryStore(path: path).rows(since: 0).get().count == 2_001)
    }

    @Test func onlyFailuresThatPassOnTheirOwnKeepTheConnection() {
        #expect(connectionSurvives(SQLiteError(resultCode: SQLITE_FULL, message: "")))
        #expect(connectionSurvives(SQLiteError(resultCode: SQLITE_BUSY, message: "")))
        #expect(!connectionSurvives(SQLiteError(resultCode: SQLITE_READONLY, message: "")))
        #expect(!connectionSurvives(SQLiteError(resultCode: SQLITE_IOERR, message: "")))
        #expect(!connectionSurvives(CocoaError(.fileNoSuchFile)))
    }

    @Test func aMissingDirectoryQueuesAndOverflowDropsTheOldestUntilItAppears() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let missing = directory.url.appendingPathComponent("not-yet/deeper")
        let path = missing.appendingPathComponent("history.sqlite").path
        let store = HistoryStore(path: path, retentionSeconds: 7 * day, maxQueuedRows: 5)
        #expect(store.lastError?.contains("cannot open history") == true)

        for cycle in 0..<8 { store.append([row(now + Double(cycle) * 30)]) }
        #expect(store.queuedRows == 5)
        #expect(store.droppedRows == 3)
        let newest = (3..<8).map { now + Double($0) * 30 }
        #expect(try store.rows(since: 0).get().map(\.timestamp) == newest)
        #expect(store.integrityCheck() == nil)

        try FileManager.default.createDirectory(at: missing, withIntermediateDirectories: true)
        store.retryPending()
        #expect(store.queuedRows == 0)
        #expect(store.droppedRows == 3)
        #expect(store.lastError == nil)
        #expect(try HistoryStore(path: path).rows(since: 0).get().map(\.timestamp) == newest)
    }

    @Test func aPathThatIsADirectoryDoesNotCrash() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = HistoryStore(path: directory.url.path)
        store.append([row(now)])
        #expect(store.queuedRows == 1)
        #expect(store.lastError != nil)
        #expect(try store.rows(since: 0).get().count == 1)
    }

    @Test func inMemoryKeepsHistoryInProcessOnly() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let before = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.currentDirectoryPath)
        let store = HistoryStore(path: HistoryStore.inMemoryPath)
        store.append([row(now), row(now + 30, available: false)])
        #expect(store.isInMemory)
        #expect(store.queuedRows == 0)
        #expect(try store.rows(since: 0).get().count == 2)
        #expect(store.uptimes(at: now + 30)["openai"] == Uptime(day: 0.5, week: 0.5))
        store.prune(now: now + 7 * day + 1)
        #expect(try store.rows(since: 0).get().map(\.timestamp) == [now + 30])
        #expect(store.integrityCheck() == "ok")
        let after = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.currentDirectoryPath)
        #expect(Set(after) == Set(before))
        #expect(!FileManager.default.fileExists(atPath: HistoryStore.inMemoryPath))
    }

    @Test func unusableNumbersNeitherCrashNorJamTheQueue() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = HistoryStore(path: directory.path("history.sqlite"))
        var nasty = row(now)
        nasty.healthScore = .nan
        nasty.p95LatencySeconds = .infinity
        store.append([nasty, row(.nan)])
        #expect(store.queuedRows == 0)
        #expect(store.droppedRows == 1)
        let stored = try store.rows(since: 0).get()
        #expect(stored.count == 1)
        #expect(stored.first?.healthScore == 0)
        #expect(stored.first?.p95LatencySeconds == nil)
    }

    @Test func aRowWrittenTwiceForTheSameCycleIsKeptOnce() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = HistoryStore(path: directory.path("history.sqlite"))
        store.append([row(now, healthScore: 0.2)])
        store.append([row(now, healthScore: 0.7)])
        #expect(try store.rows(since: 0).get().map(\.healthScore) == [0.7])
    }

    @Test func aForeignFileAtThePathDoesNotCrash() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("history.sqlite")
        try Data("this is not a database, just text that happens to be here".utf8).write(to: URL(fileURLWithPath: path))
        let store = HistoryStore(path: path)
        store.append([row(now)])
        #expect(store.queuedRows == 1)
        #expect(store.lastError != nil)
        #expect(try store.rows(since: 0).get().count == 1)
    }

    @Test func concurrentAppendsAndQueriesLoseNothing() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = HistoryStore(path: directory.path("history.sqlite"))
        let now = self.now
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    for cycle in 0..<25 { store.append([row(now + Double(cycle), "p\(writer)")]) }
                }
            }
            group.addTask {
                for _ in 0..<25 { _ = store.rows(since: 0) }
            }
        }
        let stored = try store.rows(since: 0).get()
        #expect(stored.count == 100)
        #expect(Set(stored.map(\.key)).count == 100)
        #expect(store.queuedRows == 0)
    }
}
