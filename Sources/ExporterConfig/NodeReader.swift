#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HealthCore

/// One key of a YAML mapping with its value and the field path used in errors.
struct Entry {
    let key: String
    let keyNode: Node
    let value: Node
    let path: String
}

/// The entries of a YAML mapping, in document order, with null values left out.
struct Fields {
    let node: Node
    let path: String
    let entries: [Entry]

    subscript(key: String) -> Entry? { entries.first { $0.key == key } }
}

/// Reads typed values out of a composed YAML tree and collects every problem instead of stopping at the first.
struct NodeReader {
    let file: String
    private(set) var errors: [ConfigError] = []

    init(file: String) {
        self.file = file
    }

    mutating func report(_ node: Node?, _ field: String, _ message: String) {
        let mark = node?.mark
        errors.append(
            ConfigError(file: file, line: mark?.line ?? 0, column: mark?.column ?? 0, field: field, message: message))
    }

    // MARK: Structure

    /// The entries of a mapping; keys outside `allowed` are reported with a suggestion (nil allows any key).
    /// Keys starting with `ignoredPrefix` are skipped: they only hold YAML anchors.
    mutating func fields(_ node: Node, path: String, allowed: [String]?, ignoredPrefix: String? = nil) -> Fields? {
        guard case .mapping(let mapping) = node else {
            report(node, path, "expected a mapping, got \(describe(node))")
            return nil
        }
        var entries: [Entry] = []
        var seen = Set<String>()
        // Explicit keys win over keys merged in with `<<`, as YAML merge keys specify.
        for (keyNode, value) in mapping where !isMergeKey(keyNode) {
            if let ignoredPrefix, let key = keyNode.scalar?.string, key.hasPrefix(ignoredPrefix) { continue }
            guard let entry = entry(keyNode, value, path: path, allowed: allowed) else { continue }
            seen.insert(entry.key)
            if !isNull(value) { entries.append(entry) }
        }
        for (keyNode, value) in mapping where isMergeKey(keyNode) {
            for source in mergeSources(value, path: path) {
                for (mergedKey, mergedValue) in source {
                    guard let entry = entry(mergedKey, mergedValue, path: path, allowed: allowed),
                        !seen.contains(entry.key)
                    else { continue }
                    seen.insert(entry.key)
                    if !isNull(mergedValue) { entries.append(entry) }
                }
            }
        }
        return Fields(node: node, path: path, entries: entries)
    }

    private mutating func entry(_ keyNode: Node, _ value: Node, path: String, allowed: [String]?) -> Entry? {
        guard case .scalar(let scalar) = keyNode else {
            report(keyNode, path, "keys must be strings, got \(describe(keyNode))")
            return nil
        }
        let key = scalar.string
        // A key pasted where a field name belongs must not reach the message through the path either.
        // A key holding a line break or a control character is quoted, so every error stays one line.
        let shownKey =
            looksLikeSecret(key) ? "<redacted>" : (key.unicodeScalars.contains(where: needsYAMLEscape) ? quoted(key) : key)
        let fieldPath = path.isEmpty ? shownKey : "\(path).\(shownKey)"
        if let allowed, !allowed.contains(key) {
            report(keyNode, fieldPath, "unknown field \(displayValue(key))\(suggestionSuffix(for: key, in: allowed))")
            return nil
        }
        return Entry(key: key, keyNode: keyNode, value: value, path: fieldPath)
    }

    private func isMergeKey(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node else { return false }
        return scalar.string == "<<" && scalar.style == .plain
    }

    private mutating func mergeSources(_ value: Node, path: String) -> [Node.Mapping] {
        switch value {
        case .mapping(let mapping): return [mapping]
        case .sequence(let sequence):
            return sequence.compactMap { item in
                if case .mapping(let mapping) = item { return mapping }
                report(item, path, "a merge key (<<) takes mappings, got \(describe(item))")
                return nil
            }
        default:
            report(value, path, "a merge key (<<) takes a mapping or a list of mappings, got \(describe(value))")
            return []
        }
    }

    /// A sequence's items; anything else is reported.
    mutating func sequence(_ entry: Entry) -> [Node]? {
        guard case .sequence(let sequence) = entry.value else {
            report(entry.value, entry.path, "expected a list, got \(describe(entry.value))")
            return nil
        }
        return Array(sequence)
    }

    // MARK: Scalars

    /// Any scalar as text; `secret` keeps the value out of messages.
    mutating func string(_ entry: Entry, secret: Bool = false) -> String? {
        string(entry.value, path: entry.path, secret: secret)
    }

    mutating func string(_ node: Node, path: String, secret: Bool = false) -> String? {
        guard case .scalar(let scalar) = node else {
            report(node, path, "expected a string, got \(secret ? kindName(node) : describe(node))")
            return nil
        }
        return scalar.string
    }

    /// A string that is not empty or blank.
    mutating func nonEmptyString(_ entry: Entry, secret: Bool = false) -> String? {
        guard let text = string(entry, secret: secret) else { return nil }
        if text.allSatisfy(\.isWhitespace) {
            report(entry.value, entry.path, "must not be empty")
            return nil
        }
        return text
    }

    mutating func bool(_ entry: Entry) -> Bool? {
        if case .scalar(let scalar) = entry.value, scalar.style == .plain {
            switch scalar.string.lowercased() {
            case "true", "yes", "on": return true
            case "false", "no", "off": return false
            default: break
            }
        }
        report(entry.value, entry.path, "expected true or false, got \(describe(entry.value))")
        return nil
    }

    /// A whole number no smaller than `minimum`.
    mutating func int(_ entry: Entry, minimum: Int) -> Int? {
        guard let value = plainText(entry.value).flatMap({ Int($0.replacingEvery("_", with: "")) }) else {
            report(entry.value, entry.path, "expected a whole number, got \(describe(entry.value))")
            return nil
        }
        guard value >= minimum else {
            report(entry.value, entry.path, "must be at least \(minimum), got \(value)")
            return nil
        }
        return value
    }

    /// A finite number.
    mutating func number(_ node: Node, path: String) -> Double? {
        guard let value = plainText(node).flatMap({ Double($0.replacingEvery("_", with: "")) }),
            value.isFinite
        else {
            report(node, path, "expected a number, got \(describe(node))")
            return nil
        }
        return value
    }

    mutating func number(_ entry: Entry) -> Double? { number(entry.value, path: entry.path) }

    /// A number in 0...1.
    mutating func ratio(_ entry: Entry) -> Double? {
        guard let value = number(entry) else { return nil }
        guard (0...1).contains(value) else {
            report(entry.value, entry.path, "must be between 0 and 1, got \(formatNumber(value))")
            return nil
        }
        return value
    }

    /// A non-negative number.
    mutating func weight(_ entry: Entry) -> Double? {
        guard let value = number(entry) else { return nil }
        guard value >= 0 else {
            report(entry.value, entry.path, "must not be negative, got \(formatNumber(value))")
            return nil
        }
        return value
    }

    /// A duration such as `30s` or `1m30s`, in seconds, at most `maxDurationSeconds`; zero only when `allowZero`.
    mutating func duration(_ entry: Entry, allowZero: Bool = false) -> Double? {
        guard case .scalar(let scalar) = entry.value, let seconds = parseDuration(scalar.string) else {
            report(entry.value, entry.path, "expected a duration such as 30s or 1m30s, got \(describe(entry.value))")
            return nil
        }
        guard seconds > 0 || (allowZero && seconds == 0) else {
            report(entry.value, entry.path, "must be greater than 0")
            return nil
        }
        guard seconds <= maxDurationSeconds else {
            report(entry.value, entry.path, "must be at most 100y, got \(describe(entry.value))")
            return nil
        }
        return seconds
    }

    // MARK: Helpers

    /// The text of an unquoted scalar: numbers and booleans are never quoted.
    private func plainText(_ node: Node) -> String? {
        guard case .scalar(let scalar) = node, scalar.style == .plain else { return nil }
        return scalar.string
    }
}

/// The longest duration a configuration may set: 100 years. Timers, `Duration` and the rendering of
/// `GET /config` all need a bounded number of seconds.
let maxDurationSeconds = 100 * 31_536_000.0

/// Line and column of a node, for ordering.
func position(_ node: Node) -> (Int, Int) {
    (node.mark?.line ?? 0, node.mark?.column ?? 0)
}

/// Whether a node is YAML null (`~`, `null` or nothing at all).
func isNull(_ node: Node) -> Bool {
    guard case .scalar(let scalar) = node, scalar.style == .plain else { return false }
    return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
}

/// A short description of a node for type errors: the value for scalars, the kind for collections.
func describe(_ node: Node) -> String {
    guard case .scalar(let scalar) = node else { return kindName(node) }
    return scalar.style == .plain ? displayValue(scalar.string) : "the quoted string \(displayValue(scalar.string))"
}

/// "a mapping", "a list", "a string".
func kindName(_ node: Node) -> String {
    switch node {
    case .scalar: return "a string"
    case .mapping: return "a mapping"
    case .sequence: return "a list"
    }
}

/// Numbers as a person would write them: 1 not 1.0.
func formatNumber(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
    return String(value)
}
