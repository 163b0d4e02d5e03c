/// A forward-only reader of protobuf wire format over a byte range of a request body.
///
/// The OTLP receiver needs a dozen fields of five messages, so it reads them with this instead of code generated
/// by swift-protobuf: that package's generator plugin takes minutes to build here, its decoder copies every field
/// (prompts included) into message objects, and this reader decodes a span without allocating (docs/performance.md
/// has the throughput). Every read is bounds-checked against `end`; unknown fields of every wire type are passed
/// over without being copied; groups nest at most `maxGroupDepth` deep. Any input ends in a value or a
/// `ProtobufError`, never a crash.
struct ProtobufReader {
    let bytes: [UInt8]
    var position: Int
    /// One past the last byte of the message being read.
    let end: Int

    /// Deepest nesting of (deprecated, never used by OTLP) groups skipped inside an unknown field.
    static let maxGroupDepth = 32

    init(bytes: [UInt8], position: Int = 0, end: Int? = nil) {
        self.bytes = bytes
        self.position = position
        self.end = min(end ?? bytes.count, bytes.count)
    }

    /// The reader of an embedded message whose bytes `range` holds.
    func message(in range: Range<Int>) -> ProtobufReader {
        ProtobufReader(bytes: bytes, position: range.lowerBound, end: range.upperBound)
    }

    var isAtEnd: Bool { position >= end }

    /// The next field's tag, or nil at the end of the message.
    @inline(__always)
    mutating func nextField() throws(ProtobufError) -> ProtobufTag? {
        guard position < end else { return nil }
        let start = position
        let key = try readVarint()
        let number = key >> 3
        guard number > 0, number <= 536_870_911 else {
            throw ProtobufError("invalid field number \(number)", offset: start)
        }
        guard let wireType = WireType(rawValue: UInt8(key & 7)) else {
            throw ProtobufError("invalid wire type \(key & 7) for field \(number)", offset: start)
        }
        return ProtobufTag(number: Int(number), wireType: wireType, offset: start)
    }

    @inline(__always)
    mutating func readVarint() throws(ProtobufError) -> UInt64 {
        let start = position
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while position < end {
            let byte = bytes[position]
            position += 1
            // The tenth byte may only hold the top bit of a 64-bit value.
            if shift == 63 && byte > 1 { throw ProtobufError("varint longer than 64 bits", offset: start) }
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
        throw ProtobufError("truncated varint", offset: start)
    }

    mutating func readFixed64() throws(ProtobufError) -> UInt64 {
        guard end - position >= 8 else { throw ProtobufError("truncated fixed64", offset: position) }
        var value: UInt64 = 0
        for index in 0..<8 { value |= UInt64(bytes[position + index]) << (8 * UInt64(index)) }
        position += 8
        return value
    }

    mutating func readFixed32() throws(ProtobufError) -> UInt32 {
        guard end - position >= 4 else { throw ProtobufError("truncated fixed32", offset: position) }
        var value: UInt32 = 0
        for index in 0..<4 { value |= UInt32(bytes[position + index]) << (8 * UInt32(index)) }
        position += 4
        return value
    }

    /// The byte range of a length-delimited field's content, which the reader then steps over.
    @inline(__always)
    mutating func readLengthDelimited() throws(ProtobufError) -> Range<Int> {
        let start = position
        let length = try readVarint()
        guard length <= UInt64(end - position) else {
            throw ProtobufError(
                "length \(length) runs past the end of the enclosing message (\(end - position) bytes left)",
                offset: start)
        }
        let range = position..<(position + Int(length))
        position = range.upperBound
        return range
    }

    /// Passes over the value of a field this reader does not need.
    mutating func skip(_ tag: ProtobufTag) throws(ProtobufError) {
        switch tag.wireType {
        case .varint: _ = try readVarint()
        case .fixed64: _ = try readFixed64()
        case .lengthDelimited: _ = try readLengthDelimited()
        case .fixed32: _ = try readFixed32()
        case .startGroup: try skipGroup(tag, depth: 1)
        case .endGroup: throw ProtobufError("end of group \(tag.number) without its start", offset: tag.offset)
        }
    }

    private mutating func skipGroup(_ start: ProtobufTag, depth: Int) throws(ProtobufError) {
        guard depth <= Self.maxGroupDepth else {
            throw ProtobufError("groups nested deeper than \(Self.maxGroupDepth) levels", offset: start.offset)
        }
        while let tag = try nextField() {
            switch tag.wireType {
            case .endGroup:
                guard tag.number == start.number else {
                    throw ProtobufError("group \(start.number) ended by field \(tag.number)", offset: tag.offset)
                }
                return
            case .startGroup: try skipGroup(tag, depth: depth + 1)
            default: try skip(tag)
            }
        }
        throw ProtobufError("unterminated group \(start.number)", offset: start.offset)
    }

    /// Fails unless `tag` has the wire type the schema gives its field (`field` names it for the message).
    @inline(__always)
    func expect(_ tag: ProtobufTag, _ wireType: WireType, _ field: StaticString) throws(ProtobufError) {
        guard tag.wireType == wireType else {
            throw ProtobufError(
                "\(field) (field \(tag.number)) has wire type \(tag.wireType.rawValue) (\(tag.wireType)), "
                    + "expected \(wireType.rawValue) (\(wireType))", offset: tag.offset)
        }
    }

    /// Whether the bytes of `range` equal `text` (ASCII), compared in place.
    @inline(__always)
    func bytes(in range: Range<Int>, equal text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard range.count == count else { return false }
        return text.withUTF8Buffer { expected in
            var offset = 0
            while offset < count, bytes[range.lowerBound + offset] == expected[offset] { offset += 1 }
            return offset == count
        }
    }
}

struct ProtobufTag {
    var number: Int
    var wireType: WireType
    /// Where the tag starts in the body, for messages.
    var offset: Int
}

enum WireType: UInt8, CustomStringConvertible {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case startGroup = 3
    case endGroup = 4
    case fixed32 = 5

    var description: String {
        switch self {
        case .varint: "varint"
        case .fixed64: "fixed64"
        case .lengthDelimited: "length-delimited"
        case .startGroup: "start group"
        case .endGroup: "end group"
        case .fixed32: "fixed32"
        }
    }
}

/// Why a protobuf body could not be read: what, and at which byte of the body.
struct ProtobufError: Error, Equatable {
    var message: String
    var offset: Int

    init(_ message: String, offset: Int) {
        self.message = message
        self.offset = offset
    }
}
