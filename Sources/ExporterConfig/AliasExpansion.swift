#if SWIFT_PACKAGE
internal import CLibYAML
#endif

/// Most nodes a configuration may hold once every alias is expanded. A large real configuration (thousands of
/// models) has a few tens of thousands.
let maxExpandedNodes = 100_000

/// Where aliases first make the document larger than `maxExpandedNodes`, or nil when they do not.
///
/// Nine nested anchors of nine aliases each ("billion laughs") fit in a few hundred bytes but stand for 9^9 nodes;
/// composing such a document is cheap (an alias shares its anchor's node), but comparing and hashing mapping keys
/// made of them is not. This walks libyaml's events once, counting each alias as the size of its anchor, before
/// anything expands. A syntax error ends the walk: composing reports it.
func aliasExpansionMark(_ yaml: String) -> (line: Int, column: Int)? {
    var parser = yaml_parser_t()
    guard yaml_parser_initialize(&parser) == 1 else { return nil }
    defer { yaml_parser_delete(&parser) }
    var bytes = Array(yaml.utf8)
    return bytes.withUnsafeMutableBufferPointer { buffer in
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
        var anchors: [String: Int] = [:]
        // Expanded size of each open collection (itself included), and its anchor.
        var open: [(size: Int, anchor: String?)] = []
        var total = 0
        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
            defer { yaml_event_delete(&event) }
            var finished: (size: Int, anchor: String?)?
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return nil
            case YAML_SCALAR_EVENT:
                finished = (1, anchorName(event.data.scalar.anchor))
            case YAML_ALIAS_EVENT:
                finished = (anchorName(event.data.alias.anchor).flatMap { anchors[$0] } ?? 1, nil)
            case YAML_SEQUENCE_START_EVENT:
                open.append((1, anchorName(event.data.sequence_start.anchor)))
            case YAML_MAPPING_START_EVENT:
                open.append((1, anchorName(event.data.mapping_start.anchor)))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                finished = open.popLast()
            default:
                break
            }
            guard let (size, anchor) = finished else { continue }
            if let anchor { anchors[anchor] = size }
            if open.isEmpty {
                total += size
            } else {
                open[open.count - 1].size += size
            }
            if total > maxExpandedNodes || (open.last?.size ?? 0) > maxExpandedNodes {
                return (event.start_mark.line + 1, event.start_mark.column + 1)
            }
        }
    }
}

private func anchorName(_ anchor: UnsafeMutablePointer<yaml_char_t>?) -> String? {
    anchor.map { String(cString: $0) }
}
