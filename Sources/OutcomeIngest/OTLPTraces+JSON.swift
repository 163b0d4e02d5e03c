/// The OTLP JSON encoding of a trace export (as the Collector's `otlphttp` exporter with `encoding: json` and the
/// SDKs send it): lowerCamelCase keys, 64-bit integers as decimal strings or numbers, enums as integers, ids in
/// hex. Read with the strict JSONScanner; unknown keys and unneeded values are validated and passed over without
/// being copied. Throws `ScanFailure` for a malformed body and `IngestRejection` when the batch is over its limit.
extension JSONScanner {
    mutating func readExportRequest(into collector: inout SpanCollector) throws {
        skipWhitespace()
        var first = true
        while let key = try nextMember(&first, of: "the export request") {
            if string(key, equals: "resourceSpans") {
                var firstElement = true
                while try nextElement(&firstElement, of: "resourceSpans") {
                    try readResourceSpans(into: &collector)
                }
            } else {
                try skipValue(depth: 1)
            }
        }
        skipWhitespace()
        guard isAtEnd else { throw malformed("unexpected data after the export request") }
    }

    /// {"resource": {...}, "scopeSpans": [...], "schemaUrl": "..."}: only the scope spans matter.
    private mutating func readResourceSpans(into collector: inout SpanCollector) throws {
        var first = true
        while let key = try nextMember(&first, of: "a resourceSpans element") {
            if string(key, equals: "scopeSpans") {
                var firstElement = true
                while try nextElement(&firstElement, of: "scopeSpans") {
                    try readScopeSpans(into: &collector)
                }
            } else {
                try skipValue(depth: 3)
            }
        }
    }

    /// {"scope": {...}, "spans": [...], "schemaUrl": "..."}
    private mutating func readScopeSpans(into collector: inout SpanCollector) throws {
        var first = true
        while let key = try nextMember(&first, of: "a scopeSpans element") {
            if string(key, equals: "spans") {
                var firstElement = true
                while try nextElement(&firstElement, of: "spans") {
                    try collector.add(try readSpan())
                }
            } else {
                try skipValue(depth: 5)
            }
        }
    }

    /// {"startTimeUnixNano": "...", "endTimeUnixNano": "...", "attributes": [...], "status": {...}, ...}. Names,
    /// ids, events (where prompts and completions go) and links are passed over.
    private mutating func readSpan() throws(ScanFailure) -> SpanValues {
        var span = SpanValues()
        var first = true
        while let key = try nextMember(&first, of: "a span") {
            if string(key, equals: "startTimeUnixNano") {
                span.startNanos = try readUnsigned("startTimeUnixNano")
            } else if string(key, equals: "endTimeUnixNano") {
                span.endNanos = try readUnsigned("endTimeUnixNano")
            } else if string(key, equals: "attributes") {
                var firstElement = true
                while try nextElement(&firstElement, of: "attributes") {
                    try readAttribute(into: &span)
                }
            } else if string(key, equals: "status") {
                span.statusCode = try readStatusCode()
            } else {
                try skipValue(depth: 7)
            }
        }
        return span
    }

    /// {"key": "...", "value": {...}}: the value is read only for a wanted key. Keys of a JSON object come in any
    /// order, so a value met before its key is validated, and read again once the key says it is wanted.
    private mutating func readAttribute(into span: inout SpanValues) throws(ScanFailure) {
        var attribute: SpanAttribute?
        var keySeen = false
        var valueStart: Int?
        var first = true
        while let member = try nextMember(&first, of: "an attribute") {
            if string(member, equals: "key") {
                skipWhitespace()
                guard current == UInt8(ascii: "\"") else { throw .invalid("an attribute key must be a string") }
                let key = try scanString()
                attribute = SpanAttribute.named(
                    key.hasEscapes ? ArraySlice(unescapedBytes(key)) : bytes[key.start..<key.end])
                keySeen = true
            } else if string(member, equals: "value") {
                skipWhitespace()
                if keySeen, let attribute {
                    span.set(attribute, try readAnyValue())
                } else {
                    if !keySeen { valueStart = position }
                    try skipValue(depth: 9)
                }
            } else {
                try skipValue(depth: 9)
            }
        }
        if let attribute, let valueStart {
            var again = self
            again.position = valueStart
            span.set(attribute, try again.readAnyValue())
        }
    }

    /// {"stringValue": "..."} | {"boolValue": true} | {"intValue": "42" or 42} | {"doubleValue": 0.5} | an array,
    /// key-value list or bytes (not wanted), or null.
    private mutating func readAnyValue() throws(ScanFailure) -> AttributeValue {
        var value = AttributeValue.other
        if current == UInt8(ascii: "n") {
            try scanLiteral("null")
            return value
        }
        var first = true
        while let key = try nextMember(&first, of: "an attribute value") {
            skipWhitespace()
            if string(key, equals: "stringValue") {
                guard current == UInt8(ascii: "\"") else { throw .invalid("stringValue must be a string") }
                let token = try scanString()
                value = .text(token.hasEscapes ? ArraySlice(unescapedBytes(token)) : bytes[token.start..<token.end])
            } else if string(key, equals: "intValue") {
                value = .int(try readSigned("intValue"))
            } else if string(key, equals: "doubleValue") {
                guard let byte = current, byte == UInt8(ascii: "-") || byte &- UInt8(ascii: "0") < 10 else {
                    throw .invalid("doubleValue must be a number")
                }
                value = .double(try scanNumber(converting: true))
            } else if string(key, equals: "boolValue") {
                if current == UInt8(ascii: "t") {
                    try scanLiteral("true")
                    value = .bool(true)
                } else {
                    try scanLiteral("false")
                    value = .bool(false)
                }
            } else {
                try skipValue(depth: 10)
                value = .other
            }
        }
        return value
    }

    /// {"code": 2, "message": "..."}; the code may also be its enum name (`"STATUS_CODE_ERROR"`). The message is
    /// the error text: passed over.
    private mutating func readStatusCode() throws(ScanFailure) -> Int64 {
        skipWhitespace()
        if current == UInt8(ascii: "n") {
            try scanLiteral("null")
            return 0
        }
        var code: Int64 = 0
        var first = true
        while let key = try nextMember(&first, of: "the span status") {
            guard string(key, equals: "code") else {
                try skipValue(depth: 8)
                continue
            }
            skipWhitespace()
            if current == UInt8(ascii: "\"") {
                let token = try scanString()
                if string(token, equals: "STATUS_CODE_ERROR") {
                    code = spanStatusError
                } else if string(token, equals: "STATUS_CODE_OK") {
                    code = 1
                } else if string(token, equals: "STATUS_CODE_UNSET") {
                    code = 0
                } else {
                    throw .invalid("status code must be 0, 1, 2 or a STATUS_CODE_ name")
                }
            } else {
                code = try readSigned("status code")
            }
        }
        return code
    }

    /// A 64-bit integer written as a decimal string or a number (OTLP JSON allows both).
    private mutating func readSigned(_ field: StaticString) throws(ScanFailure) -> Int64 {
        skipWhitespace()
        if current == UInt8(ascii: "\"") {
            let token = try scanString()
            var digits = bytes[token.start..<token.end]
            let negative = digits.first == UInt8(ascii: "-")
            if negative { digits = digits.dropFirst() }
            guard !token.hasEscapes, let value = decimal(digits) else {
                throw .invalid("\(field) must be a 64-bit integer")
            }
            return negative ? -value : value
        }
        guard let byte = current, byte == UInt8(ascii: "-") || byte &- UInt8(ascii: "0") < 10 else {
            throw .invalid("\(field) must be an integer, found \(kindOfNextValue)")
        }
        guard let value = Int64(exactly: try scanNumber(converting: true)) else {
            throw .invalid("\(field) must be an integer")
        }
        return value
    }

    /// Nanoseconds since the epoch, as a decimal string (exact) or a number.
    private mutating func readUnsigned(_ field: StaticString) throws(ScanFailure) -> UInt64 {
        let value = try readSigned(field)
        guard value >= 0 else { throw .invalid("\(field) must not be negative") }
        return UInt64(value)
    }

    /// The key of the next member of the object whose `{` is at the next byte (when `first`), or nil after its
    /// `}`. Null stands for an empty object, as in protobuf's JSON mapping.
    private mutating func nextMember(_ first: inout Bool, of what: @autoclosure () -> String) throws(ScanFailure)
        -> StringToken?
    {
        skipWhitespace()
        if first {
            first = false
            if current == UInt8(ascii: "n") {
                try scanLiteral("null")
                return nil
            }
            guard current == UInt8(ascii: "{") else {
                if current == nil { throw malformed("expected an object for \(what()), \(foundDescription)") }
                throw .invalid("expected an object for \(what()), found \(kindOfNextValue) at byte \(position)")
            }
            position += 1
            skipWhitespace()
            if current == UInt8(ascii: "}") {
                position += 1
                return nil
            }
        } else if current == UInt8(ascii: ",") {
            position += 1
            skipWhitespace()
        } else if current == UInt8(ascii: "}") {
            position += 1
            return nil
        } else {
            throw malformed("expected ',' or '}' in \(what()), \(foundDescription)")
        }
        guard current == UInt8(ascii: "\"") else { throw malformed("expected a field name, \(foundDescription)") }
        let key = try scanString()
        try expect(UInt8(ascii: ":"), "':'")
        skipWhitespace()
        return key
    }

    /// Whether another element of the array whose `[` is at the next byte (when `first`) follows; the scanner is
    /// then at it. Null stands for an empty array.
    private mutating func nextElement(_ first: inout Bool, of what: StaticString) throws(ScanFailure) -> Bool {
        skipWhitespace()
        if first {
            first = false
            if current == UInt8(ascii: "n") {
                try scanLiteral("null")
                return false
            }
            guard current == UInt8(ascii: "[") else {
                if current == nil { throw malformed("expected an array for \(what), \(foundDescription)") }
                throw .invalid("\(what) must be an array, found \(kindOfNextValue) at byte \(position)")
            }
            position += 1
            skipWhitespace()
            if current == UInt8(ascii: "]") {
                position += 1
                return false
            }
            return true
        }
        if current == UInt8(ascii: ",") {
            position += 1
            skipWhitespace()
            return true
        }
        if current == UInt8(ascii: "]") {
            position += 1
            return false
        }
        throw malformed("expected ',' or ']' in \(what), \(foundDescription)")
    }
}
