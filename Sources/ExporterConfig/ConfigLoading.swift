#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HealthCore

/// Parses a YAML configuration, reporting every problem at once, each with file, line, column and field.
public func parseConfiguration(yaml: String, filename: String) throws(ConfigErrors) -> ExporterConfiguration {
    guard let root = try composeDocument(yaml: yaml, filename: filename) else {
        throw ConfigErrors([
            ConfigError(file: filename, line: 0, column: 0, field: "", message: "the configuration is empty")
        ])
    }
    var parser = ConfigurationParser(file: filename)
    let configuration = parser.parse(root)
    let errors = parser.reader.errors
    guard errors.isEmpty else { throw ConfigErrors(sortedByPosition(errors)) }
    return configuration
}

/// The root of a YAML document for a `NodeReader`, nil when the document is empty. Syntax errors and alias bombs
/// are located errors.
func composeDocument(yaml: String, filename: String) throws(ConfigErrors) -> Node? {
    if let mark = aliasExpansionMark(yaml) {
        throw ConfigErrors([
            ConfigError(
                file: filename, line: mark.line, column: mark.column, field: "",
                message: "aliases expand the configuration to more than \(maxExpandedNodes) nodes")
        ])
    }
    let root: Node?
    do {
        root = try composeYAML(yaml)
    } catch {
        throw ConfigErrors([syntaxError(error, yaml: yaml, file: filename)])
    }
    guard let root, !isNull(root) else { return nil }
    return root
}

/// Reads and parses a configuration file; an unreadable file is one error naming it.
public func loadConfiguration(path: String) throws(ConfigErrors) -> ExporterConfiguration {
    let text: String
    switch readTextFile(path) {
    case .success(let contents): text = contents
    case .failure(let problem):
        throw ConfigErrors([
            ConfigError(
                file: path, line: 0, column: 0, field: "", message: "cannot read configuration: \(problem.reason)")
        ])
    }
    return try parseConfiguration(yaml: text, filename: path)
}

/// Why a file could not be read, in words.
struct FileProblem: Error {
    let reason: String
}

/// The UTF-8 contents of a file, or a short reason it cannot be had.
func readTextFile(_ path: String) -> Result<String, FileProblem> {
    #if canImport(FoundationEssentials)
        var isDirectory = false
    #else
        var isDirectory: ObjCBool = false
    #endif
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        return .failure(FileProblem(reason: "no such file"))
    }
    #if canImport(FoundationEssentials)
        if isDirectory { return .failure(FileProblem(reason: "is a directory")) }
    #else
        if isDirectory.boolValue { return .failure(FileProblem(reason: "is a directory")) }
    #endif
    guard let data = FileManager.default.contents(atPath: path) else {
        return .failure(FileProblem(reason: "permission denied"))
    }
    guard let text = String(data: data, encoding: .utf8) else {
        return .failure(FileProblem(reason: "not UTF-8 text"))
    }
    return .success(text)
}

/// Errors in document order, so they read top to bottom.
func sortedByPosition(_ errors: [ConfigError]) -> [ConfigError] {
    errors.enumerated().sorted { a, b in
        (a.element.line, a.element.column, a.offset) < (b.element.line, b.element.column, b.offset)
    }.map(\.element)
}

/// A YAML syntax error as a located `ConfigError`: only the problem text and position, never the offending
/// source line, which could hold a key.
private func syntaxError(_ error: YAMLSyntaxError, yaml: String, file: String) -> ConfigError {
    switch error {
    case .syntax(let problem, let mark, let context):
        let during = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
        return ConfigError(
            file: file, line: mark.line, column: mark.column, field: "", message: "invalid YAML: \(problem)\(during)")
    case .duplicateKeys(let duplicates, let mark):
        let keys = duplicates.map(displayValue).joined(separator: ", ")
        return ConfigError(
            file: file, line: mark.line, column: mark.column, field: "", message: "duplicate key \(keys) in the same mapping")
    case .unreadable(let problem, let byteOffset):
        // libyaml counts bytes; the position is the character the offset falls on.
        let index = yaml.utf8.index(yaml.utf8.startIndex, offsetBy: byteOffset, limitedBy: yaml.utf8.endIndex)?
            .samePosition(in: yaml)
        let (line, column) = index.map { lineAndColumn(of: yaml.distance(from: yaml.startIndex, to: $0), in: yaml) } ?? (0, 0)
        return ConfigError(file: file, line: line, column: column, field: "", message: "invalid YAML: \(problem)")
    }
}

/// 1-based line and column of a character offset.
private func lineAndColumn(of offset: Int, in text: String) -> (Int, Int) {
    var line = 1
    var column = 1
    for character in text.prefix(offset) {
        if character.isNewline {
            line += 1
            column = 1
        } else {
            column += 1
        }
    }
    return (line, column)
}
