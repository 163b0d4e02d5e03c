/// The protobuf encoding of an OTLP trace export, read field by field (numbers from opentelemetry-proto; see
/// otlp-trace-excerpt.proto beside this file). Throws `ProtobufError` for a malformed body and `IngestRejection`
/// when the batch is over its limit.
extension ProtobufReader {
    /// ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
    mutating func readExportRequest(into collector: inout SpanCollector) throws {
        while let tag = try nextField() {
            if tag.number == 1 {
                try expect(tag, .lengthDelimited, "ExportTraceServiceRequest.resource_spans")
                var resourceSpans = message(in: try readLengthDelimited())
                try resourceSpans.readResourceSpans(into: &collector)
            } else {
                try skip(tag)
            }
        }
    }

    /// ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; string schema_url = 3; }
    /// The resource (service name, host, ...) says nothing a call needs: it is passed over.
    private mutating func readResourceSpans(into collector: inout SpanCollector) throws {
        while let tag = try nextField() {
            if tag.number == 2 {
                try expect(tag, .lengthDelimited, "ResourceSpans.scope_spans")
                var scopeSpans = message(in: try readLengthDelimited())
                try scopeSpans.readScopeSpans(into: &collector)
            } else {
                try skip(tag)
            }
        }
    }

    /// ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; string schema_url = 3; }
    private mutating func readScopeSpans(into collector: inout SpanCollector) throws {
        while let tag = try nextField() {
            if tag.number == 2 {
                try expect(tag, .lengthDelimited, "ScopeSpans.spans")
                var span = message(in: try readLengthDelimited())
                try collector.add(try span.readSpan())
            } else {
                try skip(tag)
            }
        }
    }

    /// Span { fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8; repeated KeyValue attributes = 9;
    /// Status status = 15; ... }. The name, ids, events (where prompts and completions go) and links are passed
    /// over.
    private mutating func readSpan() throws(ProtobufError) -> SpanValues {
        var span = SpanValues()
        while let tag = try nextField() {
            switch tag.number {
            case 7:
                try expect(tag, .fixed64, "Span.start_time_unix_nano")
                span.startNanos = try readFixed64()
            case 8:
                try expect(tag, .fixed64, "Span.end_time_unix_nano")
                span.endNanos = try readFixed64()
            case 9:
                try expect(tag, .lengthDelimited, "Span.attributes")
                var keyValue = message(in: try readLengthDelimited())
                try keyValue.readAttribute(into: &span)
            case 15:
                try expect(tag, .lengthDelimited, "Span.status")
                var status = message(in: try readLengthDelimited())
                span.statusCode = try status.readStatusCode()
            default:
                try skip(tag)
            }
        }
        return span
    }

    /// KeyValue { string key = 1; AnyValue value = 2; }. The value is read only for a wanted key; the order of the
    /// two fields is free, so a value met before its key is read when the key is known.
    private mutating func readAttribute(into span: inout SpanValues) throws(ProtobufError) {
        var key: Range<Int>?
        var value: Range<Int>?
        while let tag = try nextField() {
            switch tag.number {
            case 1:
                try expect(tag, .lengthDelimited, "KeyValue.key")
                key = try readLengthDelimited()
            case 2:
                try expect(tag, .lengthDelimited, "KeyValue.value")
                value = try readLengthDelimited()
            default:
                try skip(tag)
            }
        }
        guard let key, let attribute = SpanAttribute.named(bytes[key]) else { return }
        guard let value else { return }
        var anyValue = message(in: value)
        span.set(attribute, try anyValue.readAnyValue())
    }

    /// AnyValue { oneof { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4;
    /// ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7; } }
    private mutating func readAnyValue() throws(ProtobufError) -> AttributeValue {
        var value = AttributeValue.other
        while let tag = try nextField() {
            switch tag.number {
            case 1:
                try expect(tag, .lengthDelimited, "AnyValue.string_value")
                value = .text(bytes[try readLengthDelimited()])
            case 2:
                try expect(tag, .varint, "AnyValue.bool_value")
                value = .bool(try readVarint() != 0)
            case 3:
                try expect(tag, .varint, "AnyValue.int_value")
                value = .int(Int64(bitPattern: try readVarint()))
            case 4:
                try expect(tag, .fixed64, "AnyValue.double_value")
                value = .double(Double(bitPattern: try readFixed64()))
            case 5, 6, 7:
                try skip(tag)
                value = .other
            default:
                try skip(tag)
            }
        }
        return value
    }

    /// Status { string message = 2; StatusCode code = 3; }. The message is the error text: passed over.
    private mutating func readStatusCode() throws(ProtobufError) -> Int64 {
        var code: Int64 = 0
        while let tag = try nextField() {
            if tag.number == 3 {
                try expect(tag, .varint, "Status.code")
                code = Int64(bitPattern: try readVarint())
            } else {
                try skip(tag)
            }
        }
        return code
    }
}
