/// One problem found in a configuration, located like a compiler diagnostic.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file (or a name standing for it, such as "environment").
    public var file: String
    /// 1-based line, 0 when the problem has no position (e.g. an unreadable file).
    public var line: Int
    /// 1-based column, 0 when the problem has no position.
    public var column: Int
    /// Dotted path of the offending field, e.g. `providers[1].base_url`; empty for the whole document.
    public var field: String
    /// What is wrong. Never contains a secret value.
    public var message: String

    public init(file: String, line: Int, column: Int, field: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.message = message
    }

    /// `file:line:column: field: message`, leaving out the parts that are unknown.
    public var description: String {
        var text = file
        if line > 0 {
            text += ":\(line)"
            if column > 0 { text += ":\(column)" }
        }
        text += ": "
        if !field.isEmpty { text += "\(field): " }
        return text + message
    }
}

/// Every problem found in a configuration, reported together.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ConfigError]

    public init(_ errors: [ConfigError]) {
        self.errors = errors
    }

    /// One line per error.
    public var description: String {
        errors.map(\.description).joined(separator: "\n")
    }
}
