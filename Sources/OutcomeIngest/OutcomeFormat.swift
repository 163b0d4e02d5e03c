/// How a batch of outcomes is framed: one JSON array, or one JSON object per line.
public enum OutcomeFormat: Sendable {
    case jsonArray
    case ndjson

    /// Picks the format from the request's `Content-Type`, else from the body's first non-blank byte.
    ///
    /// An NDJSON media type always wins. Otherwise a body opening with `[` is an array and anything
    /// else is read line by line, so a single bare object is accepted as a one-line batch.
    public static func detect(contentType: String?, firstByte: UInt8?) -> OutcomeFormat {
        if let contentType, isNDJSONMediaType(contentType) { return .ndjson }
        return firstByte == UInt8(ascii: "[") ? .jsonArray : .ndjson
    }

    /// Like `detect(contentType:firstByte:)`, reading the first byte after any byte-order mark and
    /// white space of `body`.
    public static func detect(contentType: String?, body: [UInt8]) -> OutcomeFormat {
        var index = byteOrderMarkLength(body)
        while index < body.count, JSONScanner.isWhitespace(body[index]) { index += 1 }
        return detect(contentType: contentType, firstByte: index < body.count ? body[index] : nil)
    }

    static let ndjsonMediaTypes: Set<String> = [
        "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonl",
        "application/jsonlines", "application/x-jsonlines", "application/json-lines",
    ]

    /// The media type without parameters, trimmed and lower-cased (ASCII only, as media types are).
    static func isNDJSONMediaType(_ contentType: String) -> Bool {
        let mediaType = contentType.utf8.prefix { $0 != UInt8(ascii: ";") }
        let trimmed = mediaType.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }
        let lowered = trimmed.reversed().map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }
        return ndjsonMediaTypes.contains(String(decoding: lowered, as: UTF8.self))
    }
}

/// Length of a UTF-8 byte-order mark at the start of `body` (3), or 0. Some clients write one.
func byteOrderMarkLength(_ body: [UInt8]) -> Int {
    body.count >= 3 && body[0] == 0xEF && body[1] == 0xBB && body[2] == 0xBF ? 3 : 0
}
