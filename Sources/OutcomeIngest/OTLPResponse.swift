import HealthCore

/// The bodies of OTLP/HTTP answers, in the request's encoding (OTLP specification, "OTLP/HTTP Response").
public enum OTLPResponse {
    /// ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1; } with
    /// ExportTracePartialSuccess { int64 rejected_spans = 1; string error_message = 2; }. Empty (full success)
    /// unless spans were rejected.
    public static func export(rejectedSpans: Int, errorMessage: String?, encoding: OTLPEncoding) -> [UInt8] {
        guard rejectedSpans > 0 else { return encoding == .json ? Array("{}".utf8) : [] }
        let message = errorMessage ?? ""
        switch encoding {
        case .protobuf:
            var partialSuccess: [UInt8] = []
            appendVarintField(1, UInt64(rejectedSpans), to: &partialSuccess)
            if !message.isEmpty { appendBytesField(2, Array(message.utf8), to: &partialSuccess) }
            var body: [UInt8] = []
            appendBytesField(1, partialSuccess, to: &body)
            return body
        case .json:
            // int64 as a decimal string, as protobuf's JSON mapping writes it.
            var text = "{\"partialSuccess\":{\"rejectedSpans\":\"\(rejectedSpans)\""
            if !message.isEmpty { text += ",\"errorMessage\":\(jsonString(message))" }
            return Array((text + "}}").utf8)
        }
    }

    /// A google.rpc.Status { int32 code = 1; string message = 2; } for a refused request: the body OTLP/HTTP
    /// gives a 4xx answer. `code` is a gRPC status code (3 INVALID_ARGUMENT, 16 UNAUTHENTICATED, ...).
    public static func status(code: Int, message: String, encoding: OTLPEncoding) -> [UInt8] {
        switch encoding {
        case .protobuf:
            var body: [UInt8] = []
            appendVarintField(1, UInt64(code), to: &body)
            appendBytesField(2, Array(message.utf8), to: &body)
            return body
        case .json:
            return Array("{\"code\":\(code),\"message\":\(jsonString(message))}".utf8)
        }
    }

    /// The gRPC status code that goes with an HTTP status of a refusal.
    public static func grpcCode(httpStatus: Int) -> Int {
        switch httpStatus {
        case 401: 16  // UNAUTHENTICATED
        case 403: 7  // PERMISSION_DENIED
        case 413: 8  // RESOURCE_EXHAUSTED
        case 422: 9  // FAILED_PRECONDITION
        case 429: 8  // RESOURCE_EXHAUSTED
        default: 3  // INVALID_ARGUMENT
        }
    }
}

private func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
    var value = value
    while value >= 0x80 {
        bytes.append(UInt8(value & 0x7F) | 0x80)
        value >>= 7
    }
    bytes.append(UInt8(value))
}

private func appendVarintField(_ number: UInt64, _ value: UInt64, to bytes: inout [UInt8]) {
    appendVarint(number << 3, to: &bytes)
    appendVarint(value, to: &bytes)
}

private func appendBytesField(_ number: UInt64, _ value: [UInt8], to bytes: inout [UInt8]) {
    appendVarint(number << 3 | 2, to: &bytes)
    appendVarint(UInt64(value.count), to: &bytes)
    bytes.append(contentsOf: value)
}
