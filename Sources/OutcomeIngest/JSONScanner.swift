import JSONStructure

/// A strict, forward-only JSON reader over a byte range of a request body.
///
/// Every read is bounds-checked against `end`, every byte is looked at a constant number of times, and
/// nesting is capped, so hostile input costs linear time and bounded stack. Nothing is copied except the
/// strings a caller asks for.
struct JSONScanner {
    let bytes: [UInt8]
    var position: Int
    /// One past the last byte this scanner may read (the end of the body, or of one NDJSON line).
    var end: Int

    /// Deepest nesting of unknown values skipped inside an outcome; deeper input is refused.
    static let maxDepth = 64

    /// NDJSON: a line feed ends the value being read instead of being white space, so that one object
    /// cannot spill over lines and the body is read in a single pass.
    let newlineEndsValue: Bool

    init(bytes: [UInt8], position: Int, end: Int, newlineEndsValue: Bool = false) {
        precondition(end <= bytes.count)
        self.bytes = bytes
        self.position = position
        self.end = end
        self.newlineEndsValue = newlineEndsValue
    }

    var isAtEnd: Bool { position >= end }

    /// The next byte, or nil at the end.
    var current: UInt8? { position < end ? bytes[position] : nil }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    @inline(__always)
    mutating func skipWhitespace() {
        var index = position
        while index < end {
            let byte = bytes[index]
            guard byte == 0x20 || byte == 0x09 || byte == 0x0D || (byte == 0x0A && !newlineEndsValue) else { break }
            index += 1
        }
        position = index
    }

    func malformed(_ message: String) -> ScanFailure {
        .malformed(message, offset: position)
    }

    /// "found ..." describing the next byte, for messages.
    var foundDescription: String {
        guard let byte = current else { return "found the end of the input" }
        if byte == 0x0A && newlineEndsValue { return "found the end of the line" }
        if byte >= 0x21 && byte < 0x7F { return "found '\(Character(Unicode.Scalar(byte)))'" }
        let hex = String(byte, radix: 16, uppercase: true)
        return "found byte 0x\(hex.count == 1 ? "0" + hex : hex)"
    }

    /// Consumes `byte` after optional white space, or fails naming what was expected.
    @inline(__always)
    mutating func expect(_ byte: UInt8, _ what: String) throws(ScanFailure) {
        skipWhitespace()
        guard current == byte else { throw malformed("expected \(what), \(foundDescription)") }
        position += 1
    }

    /// Consumes `true`, `false` or `null` exactly.
    mutating func scanLiteral(_ literal: StaticString) throws(ScanFailure) {
        let count = literal.utf8CodeUnitCount
        let matches = literal.withUTF8Buffer { expected -> Bool in
            guard end - position >= count else { return false }
            for offset in 0..<count where bytes[position + offset] != expected[offset] { return false }
            return true
        }
        guard matches else { throw malformed("invalid literal, expected '\(literal)'") }
        position += count
    }

    /// Validates and passes over one value of any kind, however nested (up to `maxDepth`).
    mutating func skipValue(depth: Int) throws(ScanFailure) {
        skipWhitespace()
        guard let byte = current else { throw malformed("expected a value, \(foundDescription)") }
        switch byte {
        case UInt8(ascii: "{"):
            try skipContainer(closer: UInt8(ascii: "}"), depth: depth, isObject: true)
        case UInt8(ascii: "["):
            try skipContainer(closer: UInt8(ascii: "]"), depth: depth, isObject: false)
        case UInt8(ascii: "\""):
            _ = try scanString()
        case UInt8(ascii: "t"):
            try scanLiteral("true")
        case UInt8(ascii: "f"):
            try scanLiteral("false")
        case UInt8(ascii: "n"):
            try scanLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            _ = try scanNumber(converting: false)
        default:
            throw malformed("expected a value, \(foundDescription)")
        }
    }

    /// Skips one value by its structure alone: brackets balanced and matched (at most `maxDepth` deep), strings
    /// closed, no raw control character in them, and — in NDJSON — no line break. Numbers, literals and the UTF-8
    /// inside strings are not checked one by one. For the large parts of a gateway's payload that are read past,
    /// never used (a LiteLLM payload is ~13 KB, of which the decoder reads a few fields): the structure is found 64
    /// bytes at a time (`json_skip_container`), where a strict skip looks at every byte on its own. A scalar is
    /// skipped strictly, as `skipValue` does.
    mutating func skipValueByStructure() throws(ScanFailure) {
        skipWhitespace()
        guard let first = current, first == UInt8(ascii: "{") || first == UInt8(ascii: "[") else {
            return try skipValue(depth: 1)
        }
        let (start, end) = (position, self.end)
        let result = bytes.withUnsafeBufferPointer { buffer in
            json_skip_container(buffer.baseAddress!, start, end, newlineEndsValue ? 1 : 0, Int32(Self.maxDepth))
        }
        position = result.position
        switch result.problem {
        case json_skip_ok: return
        case json_skip_unterminated_string: throw malformed("unterminated string")
        case json_skip_control_character: throw malformed("control character in a string (must be escaped)")
        case json_skip_mismatched_bracket:
            throw malformed("'\(Character(Unicode.Scalar(bytes[position])))' does not close the open bracket")
        case json_skip_too_deep: throw malformed("nesting deeper than \(Self.maxDepth) levels")
        case json_skip_line_ends_value: throw malformed("the line ends inside a value")
        case json_skip_stray_backslash: throw malformed("'\\' outside a string")
        default: throw malformed("the input ends inside a value")
        }
    }

    private mutating func skipContainer(closer: UInt8, depth: Int, isObject: Bool) throws(ScanFailure) {
        guard depth < Self.maxDepth else { throw malformed("nesting deeper than \(Self.maxDepth) levels") }
        position += 1
        skipWhitespace()
        if current == closer {
            position += 1
            return
        }
        while true {
            if isObject {
                skipWhitespace()
                guard current == UInt8(ascii: "\"") else {
                    throw malformed("expected a field name, \(foundDescription)")
                }
                _ = try scanString()
                try expect(UInt8(ascii: ":"), "':'")
            }
            try skipValue(depth: depth + 1)
            skipWhitespace()
            if current == UInt8(ascii: ",") {
                position += 1
            } else if current == closer {
                position += 1
                return
            } else {
                throw malformed("expected ',' or '\(Character(Unicode.Scalar(closer)))', \(foundDescription)")
            }
        }
    }

    /// A short name for the kind of value that starts at the next byte, for type errors.
    var kindOfNextValue: String {
        switch current {
        case UInt8(ascii: "{"): return "an object"
        case UInt8(ascii: "["): return "an array"
        case UInt8(ascii: "\""): return "a string"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return "a boolean"
        case UInt8(ascii: "n"): return "null"
        default: return "a number"
        }
    }
}
