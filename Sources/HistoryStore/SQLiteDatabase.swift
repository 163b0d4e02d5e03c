import CSQLite

/// A failed SQLite call: its primary result code (`SQLITE_FULL`, `SQLITE_BUSY`, …) and SQLite's message.
struct SQLiteError: Error, Equatable {
    let resultCode: Int32
    let message: String
}

/// A value SQLite stores or answers with (blobs are not used by the history).
enum SQLiteValue: Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    /// Lenient reads: nil for a value of another type, so a file edited by hand cannot stop the process.
    var double: Double? {
        switch self {
        case .real(let value): value
        case .integer(let value): Double(value)
        default: nil
        }
    }

    var int: Int? {
        switch self {
        case .integer(let value): Int(exactly: value)
        case .real(let value): Int(exactly: value)
        default: nil
        }
    }

    var bool: Bool? {
        switch self {
        case .integer(let value): value != 0
        case .real(let value): value != 0
        default: nil
        }
    }

    var string: String? {
        if case .text(let value) = self { return value }
        return nil
    }
}

/// One connection to a SQLite database through the system library: the few calls the history needs
/// (statements with bound arguments, transactions, a busy timeout). Not thread-safe: its owner serialises use.
final class SQLiteDatabase: @unchecked Sendable {
    private let handle: OpaquePointer

    /// Opens (creating when writable) the database at `path`; `:memory:` is an in-memory database.
    init(path: String, readOnly: Bool) throws {
        var handle: OpaquePointer?
        let flags = readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        let code = sqlite3_open_v2(path, &handle, flags | SQLITE_OPEN_NOMUTEX, nil)
        guard code == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_close_v2(handle)
            throw SQLiteError(resultCode: code & 0xFF, message: message)
        }
        self.handle = handle
        sqlite3_extended_result_codes(handle, 0)
    }

    deinit { sqlite3_close_v2(handle) }

    /// How long a statement waits for a lock another connection holds before failing with SQLITE_BUSY.
    func setBusyTimeout(milliseconds: Int32) {
        sqlite3_busy_timeout(handle, milliseconds)
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    var changesCount: Int { Int(sqlite3_changes(handle)) }

    /// Runs one statement (or, without arguments, several separated by semicolons), discarding any rows.
    func execute(_ sql: String, _ arguments: [SQLiteValue] = []) throws {
        if arguments.isEmpty {
            try check(sqlite3_exec(handle, sql, nil, nil, nil))
        } else {
            let statement = try prepare(sql)
            try statement.run(arguments)
        }
    }

    /// Every row of a query, each as its column values.
    func fetchAll(_ sql: String, _ arguments: [SQLiteValue] = []) throws -> [[SQLiteValue]] {
        try prepare(sql).rows(arguments)
    }

    /// The first column of the first row, or nil when there is none.
    func fetchOne(_ sql: String, _ arguments: [SQLiteValue] = []) throws -> SQLiteValue? {
        try fetchAll(sql, arguments).first?.first
    }

    /// A statement compiled once to run many times.
    func prepare(_ sql: String) throws -> Statement {
        var statement: OpaquePointer?
        try check(sqlite3_prepare_v2(handle, sql, -1, &statement, nil))
        guard let statement else { throw SQLiteError(resultCode: SQLITE_MISUSE, message: "empty statement") }
        return Statement(database: self, handle: statement)
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    func write<T>(_ body: (SQLiteDatabase) throws -> T) throws -> T {
        try execute("BEGIN DEFERRED TRANSACTION")
        do {
            let result = try body(self)
            try execute("COMMIT TRANSACTION")
            return result
        } catch {
            if sqlite3_get_autocommit(handle) == 0 { _ = sqlite3_exec(handle, "ROLLBACK TRANSACTION", nil, nil, nil) }
            throw error
        }
    }

    /// Runs `body` on the connection, outside any transaction.
    func read<T>(_ body: (SQLiteDatabase) throws -> T) throws -> T {
        try body(self)
    }

    fileprivate func check(_ code: Int32) throws {
        guard code == SQLITE_OK || code == SQLITE_ROW || code == SQLITE_DONE else {
            throw SQLiteError(resultCode: code & 0xFF, message: String(cString: sqlite3_errmsg(handle)))
        }
    }

    final class Statement {
        private let database: SQLiteDatabase
        private let handle: OpaquePointer

        fileprivate init(database: SQLiteDatabase, handle: OpaquePointer) {
            self.database = database
            self.handle = handle
        }

        deinit { sqlite3_finalize(handle) }

        /// Runs the statement with `arguments` bound, discarding any rows.
        func run(_ arguments: [SQLiteValue]) throws {
            try bind(arguments)
            while try step() {}
        }

        /// Runs the statement with `arguments` bound and returns its rows.
        func rows(_ arguments: [SQLiteValue]) throws -> [[SQLiteValue]] {
            try bind(arguments)
            var rows: [[SQLiteValue]] = []
            let columns = sqlite3_column_count(handle)
            while try step() {
                rows.append((0..<columns).map(column))
            }
            return rows
        }

        private func bind(_ arguments: [SQLiteValue]) throws {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
            // SQLite copies the text (SQLITE_TRANSIENT), so the Swift string need not outlive the call.
            let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
            for (offset, argument) in arguments.enumerated() {
                let index = Int32(offset + 1)
                let code: Int32
                switch argument {
                case .null: code = sqlite3_bind_null(handle, index)
                case .integer(let value): code = sqlite3_bind_int64(handle, index, value)
                case .real(let value): code = sqlite3_bind_double(handle, index, value)
                case .text(let value): code = sqlite3_bind_text(handle, index, value, -1, transient)
                }
                try database.check(code)
            }
        }

        /// True while there is a row to read.
        private func step() throws -> Bool {
            let code = sqlite3_step(handle)
            if code == SQLITE_ROW { return true }
            defer { sqlite3_reset(handle) }
            try database.check(code)
            return false
        }

        private func column(_ index: Int32) -> SQLiteValue {
            switch sqlite3_column_type(handle, index) {
            case SQLITE_INTEGER: return .integer(sqlite3_column_int64(handle, index))
            case SQLITE_FLOAT: return .real(sqlite3_column_double(handle, index))
            case SQLITE_TEXT: return .text(String(cString: sqlite3_column_text(handle, index)))
            default: return .null
            }
        }
    }
}

extension SQLiteValue {
    init(_ value: Double?) { self = value.map(SQLiteValue.real) ?? .null }
    init(_ value: Int) { self = .integer(Int64(value)) }
    init(_ value: Bool) { self = .integer(value ? 1 : 0) }
    init(_ value: String) { self = .text(value) }
}
