import JSONStructure

/// Where a scanned string's raw content lies (between the quotes), and whether it needs unescaping.
struct StringToken {
    var start: Int
    var end: Int
    var hasEscapes: Bool
    var byteCount: Int { end - start }
}

extension JSONScanner {
    /// Validates a string starting at the opening quote: escapes (surrogate pairs must pair up), no raw
    /// control characters, well-formed UTF-8 (no overlongs, no encoded surrogates, nothing past U+10FFFF).
    mutating func scanString() throws(ScanFailure) -> StringToken {
        let start = position + 1
        var index = start
        var hasEscapes = false
        while index < end {
            index = Self.plainRunEnd(bytes, from: index, end: end)
            guard index < end else { break }
            let byte = bytes[index]
            // Printable ASCII other than the quote and the backslash: the common case, kept tight.
            if byte >= 0x20 && byte < 0x80 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") {
                index += 1
                continue
            }
            if byte == UInt8(ascii: "\"") {
                position = index + 1
                return StringToken(start: start, end: index, hasEscapes: hasEscapes)
            }
            position = index
            if byte == UInt8(ascii: "\\") {
                hasEscapes = true
                try scanEscape()
            } else if byte < 0x20 {
                throw malformed("control character in a string (must be escaped)")
            } else {
                try scanUTF8Sequence(lead: byte)
            }
            index = position
        }
        position = index
        throw malformed("unterminated string")
    }

    /// Where a run of printable ASCII other than the quote and the backslash ends: the bulk of a body (prompts,
    /// answers, metadata a gateway sends along) is such runs, looked at up to 64 bytes at a time.
    @inline(__always)
    static func plainRunEnd(_ bytes: [UInt8], from start: Int, end: Int) -> Int {
        bytes.withUnsafeBufferPointer { json_plain_run_end($0.baseAddress!, start, end) }
    }

    private mutating func scanEscape() throws(ScanFailure) {
        guard position + 1 < end else { throw malformed("unterminated escape in a string") }
        switch bytes[position + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            position += 2
        case UInt8(ascii: "u"):
            let unit = try hexQuad(at: position + 2)
            position += 6
            if unit >= 0xDC00 && unit <= 0xDFFF {
                position -= 6
                throw malformed("unpaired low surrogate in a \\u escape")
            }
            if unit >= 0xD800 && unit <= 0xDBFF {
                let pairs = position + 1 < end && bytes[position] == UInt8(ascii: "\\")
                    && bytes[position + 1] == UInt8(ascii: "u")
                let low = pairs ? try hexQuad(at: position + 2) : 0
                guard low >= 0xDC00 && low <= 0xDFFF else {
                    throw malformed("high surrogate in a \\u escape not followed by a low one")
                }
                position += 6
            }
        default:
            position += 1
            throw malformed("invalid escape, \(foundDescription)")
        }
    }

    /// The value of four hex digits at `index`.
    private func hexQuad(at index: Int) throws(ScanFailure) -> UInt32 {
        guard end - index >= 4 else { throw malformed("truncated \\u escape") }
        var value: UInt32 = 0
        for offset in 0..<4 {
            let byte = bytes[index + offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw .malformed("invalid hex digit in a \\u escape", offset: index + offset)
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// Passes over one multi-byte UTF-8 sequence, by the Unicode table of well-formed byte sequences.
    private mutating func scanUTF8Sequence(lead: UInt8) throws(ScanFailure) {
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: throw malformed("invalid UTF-8")
        }
        guard end - position >= length else { throw malformed("truncated UTF-8 sequence") }
        let second = bytes[position + 1]
        guard second >= low && second <= high else { throw malformed("invalid UTF-8") }
        for offset in 2..<length where bytes[position + offset] & 0xC0 != 0x80 {
            throw malformed("invalid UTF-8")
        }
        position += length
    }

    /// The text of a string scanned by `scanString` (so known to be valid).
    func string(_ token: StringToken) -> String {
        if !token.hasEscapes { return String(decoding: bytes[token.start..<token.end], as: UTF8.self) }
        return String(decoding: unescapedBytes(token), as: UTF8.self)
    }

    /// The UTF-8 bytes of a scanned string with its escapes resolved.
    func unescapedBytes(_ token: StringToken) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(token.byteCount)
        var index = token.start
        while index < token.end {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "\\") else {
                output.append(byte)
                index += 1
                continue
            }
            let escaped = bytes[index + 1]
            index += 2
            switch escaped {
            case UInt8(ascii: "b"): output.append(0x08)
            case UInt8(ascii: "f"): output.append(0x0C)
            case UInt8(ascii: "n"): output.append(0x0A)
            case UInt8(ascii: "r"): output.append(0x0D)
            case UInt8(ascii: "t"): output.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = (try? hexQuad(at: index)) ?? 0xFFFD
                index += 4
                if scalar >= 0xD800 && scalar <= 0xDBFF {
                    let low = (try? hexQuad(at: index + 2)) ?? 0xDC00
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    index += 6
                }
                appendUTF8(Unicode.Scalar(scalar) ?? "\u{FFFD}", to: &output)
            default: output.append(escaped)
            }
        }
        return output
    }

    /// Whether a scanned string equals `name`, an ASCII field name.
    @inline(__always)
    func string(_ token: StringToken, equals name: StaticString) -> Bool {
        let count = name.utf8CodeUnitCount
        let expected = UnsafeBufferPointer(start: name.utf8Start, count: count)
        if token.hasEscapes { return unescapedBytes(token).elementsEqual(expected) }
        guard token.byteCount == count else { return false }
        var offset = 0
        while offset < count, bytes[token.start + offset] == expected[offset] { offset += 1 }
        return offset == count
    }
}

private func appendUTF8(_ scalar: Unicode.Scalar, to output: inout [UInt8]) {
    UTF8.encode(scalar) { output.append($0) }
}
