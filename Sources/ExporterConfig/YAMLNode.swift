#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HealthCore

#if SWIFT_PACKAGE
internal import CLibYAML
#endif

/// Where a node starts in the document: 1-based line, and column counted in Unicode scalars.
struct Mark: Equatable {
    let line: Int
    let column: Int
}

/// A composed YAML node: what libyaml's events describe, with aliases resolved to the node they name.
/// Tags are not resolved: the configuration reader decides what a scalar means from its text and style.
enum Node {
    case scalar(Scalar)
    case mapping(Mapping)
    case sequence(Sequence)

    struct Scalar {
        enum Style: Equatable { case plain, singleQuoted, doubleQuoted, literal, folded }
        let string: String
        let style: Style
        let mark: Mark
    }

    /// Key–value pairs in document order.
    struct Mapping: Swift.Sequence {
        let pairs: [(key: Node, value: Node)]
        let mark: Mark
        func makeIterator() -> IndexingIterator<[(key: Node, value: Node)]> { pairs.makeIterator() }
    }

    struct Sequence: Swift.Sequence {
        let items: [Node]
        let mark: Mark
        func makeIterator() -> IndexingIterator<[Node]> { items.makeIterator() }
    }

    var mark: Mark? {
        switch self {
        case .scalar(let scalar): scalar.mark
        case .mapping(let mapping): mapping.mark
        case .sequence(let sequence): sequence.mark
        }
    }

    var scalar: Scalar? {
        if case .scalar(let scalar) = self { return scalar }
        return nil
    }
}

/// A YAML document libyaml cannot read, or that composes into no tree: the problem and where.
enum YAMLSyntaxError: Error {
    /// The scanner, parser or composer stopped at `mark`; `context` is what it was reading and where that began.
    case syntax(problem: String, mark: Mark, context: (text: String, mark: Mark)?)
    /// A mapping holds these keys more than once; `mark` is the first one's position.
    case duplicateKeys([String], mark: Mark)
    /// The text is not valid UTF-8 (or holds characters YAML forbids) at this byte offset.
    case unreadable(problem: String, byteOffset: Int)
}

/// Composes the single document of `yaml` into a node tree, or nil for an empty stream. Duplicate keys in a
/// mapping, undefined aliases and a second document are errors.
func composeYAML(_ yaml: String) throws(YAMLSyntaxError) -> Node? {
    var composer = YAMLComposer()
    return try composer.compose(yaml)
}

private struct YAMLComposer {
    /// Collections nested deeper than this are refused: a configuration needs a handful of levels, and each level is
    /// a stack frame here and in whatever reads the tree (a file of `[[[[…` would otherwise overflow the stack).
    static let maximumDepth = 64

    var anchors: [String: Node] = [:]

    mutating func compose(_ yaml: String) throws(YAMLSyntaxError) -> Node? {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw .syntax(problem: "out of memory", mark: Mark(line: 0, column: 0), context: nil)
        }
        defer { yaml_parser_delete(&parser) }
        var bytes = Array(yaml.utf8)
        let result: Result<Node?, YAMLSyntaxError> = bytes.withUnsafeMutableBufferPointer { buffer in
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            do throws(YAMLSyntaxError) {
                return .success(try document(&parser))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Stream start, then one document or none, then stream end.
    private mutating func document(_ parser: inout yaml_parser_t) throws(YAMLSyntaxError) -> Node? {
        var event = try next(&parser)  // stream start
        event.delete()
        event = try next(&parser)
        if event.type == YAML_STREAM_END_EVENT {
            event.delete()
            return nil
        }
        event.delete()  // document start
        let rootEvent = try next(&parser)
        let root = try node(from: rootEvent, &parser, depth: 0)
        var end = try next(&parser)  // document end
        end.delete()
        let after = try next(&parser)
        defer { var after = after; after.delete() }
        guard after.type == YAML_STREAM_END_EVENT else {
            throw .syntax(
                problem: "but found another document", mark: after.startMark,
                context: ("expected a single document in the stream", Mark(line: 1, column: 1)))
        }
        return root
    }

    private func next(_ parser: inout yaml_parser_t) throws(YAMLSyntaxError) -> yaml_event_t {
        var event = yaml_event_t()
        guard yaml_parser_parse(&parser, &event) == 1 else { throw Self.error(parser) }
        return event
    }

    /// The node an event starts, `depth` collections down; the event is consumed.
    private mutating func node(from start: yaml_event_t, _ parser: inout yaml_parser_t, depth: Int)
        throws(YAMLSyntaxError) -> Node
    {
        var start = start
        defer { start.delete() }
        if start.type == YAML_SEQUENCE_START_EVENT || start.type == YAML_MAPPING_START_EVENT,
            depth >= Self.maximumDepth
        {
            throw .syntax(
                problem: "found a collection nested more than \(Self.maximumDepth) levels deep", mark: start.startMark,
                context: nil)
        }
        switch start.type {
        case YAML_ALIAS_EVENT:
            guard let name = cString(start.data.alias.anchor), let node = anchors[name] else {
                throw .syntax(problem: "found undefined alias", mark: start.startMark, context: nil)
            }
            return node
        case YAML_SCALAR_EVENT:
            let scalar = start.data.scalar
            let value = String(
                decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
            let node = Node.scalar(Node.Scalar(string: value, style: Self.style(scalar.style), mark: start.startMark))
            register(cString(scalar.anchor), node)
            return node
        case YAML_SEQUENCE_START_EVENT:
            var items: [Node] = []
            while true {
                var event = try next(&parser)
                if event.type == YAML_SEQUENCE_END_EVENT {
                    event.delete()
                    break
                }
                items.append(try node(from: event, &parser, depth: depth + 1))
            }
            let node = Node.sequence(Node.Sequence(items: items, mark: start.startMark))
            register(cString(start.data.sequence_start.anchor), node)
            return node
        case YAML_MAPPING_START_EVENT:
            var pairs: [(key: Node, value: Node)] = []
            while true {
                var event = try next(&parser)
                if event.type == YAML_MAPPING_END_EVENT {
                    event.delete()
                    break
                }
                let key = try node(from: event, &parser, depth: depth + 1)
                let value = try node(from: try next(&parser), &parser, depth: depth + 1)
                pairs.append((key, value))
            }
            try Self.checkDuplicateKeys(pairs.map(\.key))
            let node = Node.mapping(Node.Mapping(pairs: pairs, mark: start.startMark))
            register(cString(start.data.mapping_start.anchor), node)
            return node
        default:
            throw .syntax(problem: "unexpected event", mark: start.startMark, context: nil)
        }
    }

    private mutating func register(_ anchor: String?, _ node: Node) {
        if let anchor { anchors[anchor] = node }
    }

    /// Two keys are the same when they are scalars of the same text and the same meaning (`1` and `"1"` are
    /// not); the error names every duplicated key, sorted, at the first one's position.
    private static func checkDuplicateKeys(_ keys: [Node]) throws(YAMLSyntaxError) {
        var first: [KeyIdentity: Node.Scalar] = [:]
        var duplicated: [Node.Scalar] = []
        for case .scalar(let scalar) in keys {
            let identity = KeyIdentity(scalar)
            if let earlier = first[identity] {
                if !duplicated.contains(where: { KeyIdentity($0) == identity }) { duplicated.append(earlier) }
            } else {
                first[identity] = scalar
            }
        }
        guard !duplicated.isEmpty else { return }
        let sorted = duplicated.sorted { $0.string < $1.string }
        throw .duplicateKeys(sorted.map(\.string), mark: sorted[0].mark)
    }

    private struct KeyIdentity: Hashable {
        let text: String
        let isString: Bool
        init(_ scalar: Node.Scalar) {
            text = scalar.string
            isString = scalar.style != .plain || !looksTyped(scalar.string)
        }
    }

    private static func style(_ style: yaml_scalar_style_t) -> Node.Scalar.Style {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: .literal
        case YAML_FOLDED_SCALAR_STYLE: .folded
        default: .plain
        }
    }

    private static func error(_ parser: yaml_parser_t) -> YAMLSyntaxError {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown problem"
        if parser.error == YAML_READER_ERROR {
            return .unreadable(problem: problem, byteOffset: parser.problem_offset)
        }
        let context = parser.context.map { context in
            (
                String(cString: context),
                Mark(line: parser.context_mark.line + 1, column: parser.context_mark.column + 1)
            )
        }
        return .syntax(
            problem: problem,
            mark: Mark(line: parser.problem_mark.line + 1, column: parser.problem_mark.column + 1), context: context)
    }
}

/// Whether a plain scalar reads as something other than a string in YAML 1.1 (null, a boolean, a number),
/// so that `1:` and `"1":` are different keys.
private func looksTyped(_ text: String) -> Bool {
    if ["", "~", "null", "Null", "NULL"].contains(text) { return true }
    if ["true", "false", "yes", "no", "on", "off", "y", "n"].contains(text.lowercased()) { return true }
    let digits = text.replacingEvery("_", with: "")
    return Int(digits) != nil || Double(digits) != nil || [".inf", "-.inf", "+.inf", ".nan"].contains(text.lowercased())
}

private func cString(_ pointer: UnsafeMutablePointer<UInt8>?) -> String? {
    pointer.map { String(cString: $0) }
}

extension yaml_event_t {
    fileprivate var startMark: Mark { Mark(line: start_mark.line + 1, column: start_mark.column + 1) }
    fileprivate mutating func delete() { yaml_event_delete(&self) }
}
