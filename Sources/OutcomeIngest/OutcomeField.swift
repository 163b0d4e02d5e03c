/// The fields of an outcome object the decoder reads. Any other field is skipped, whatever it holds.
enum OutcomeField: UInt8, CaseIterable {
    case provider, model, success, latencySeconds, statusCode, error, timestamp, timeToFirstTokenSeconds

    var name: String {
        switch self {
        case .provider: "provider"
        case .model: "model"
        case .success: "success"
        case .latencySeconds: "latency_seconds"
        case .statusCode: "status_code"
        case .error: "error"
        case .timestamp: "timestamp"
        case .timeToFirstTokenSeconds: "time_to_first_token_seconds"
        }
    }

    /// This field's bit in a set of seen fields.
    var bit: UInt8 { 1 << rawValue }

    static let required: [OutcomeField] = [.provider, .model, .success, .latencySeconds]
}

extension JSONScanner {
    /// The known field a scanned key names, or nil. Dispatches on length first: most keys are rejected
    /// without comparing a byte.
    @inline(__always)
    func outcomeField(named key: StringToken) -> OutcomeField? {
        let length = key.hasEscapes ? unescapedBytes(key).count : key.byteCount
        switch length {
        case 5:
            if string(key, equals: "model") { return .model }
            if string(key, equals: "error") { return .error }
        case 7:
            if string(key, equals: "success") { return .success }
        case 8:
            if string(key, equals: "provider") { return .provider }
        case 9:
            if string(key, equals: "timestamp") { return .timestamp }
        case 11:
            if string(key, equals: "status_code") { return .statusCode }
        case 15:
            if string(key, equals: "latency_seconds") { return .latencySeconds }
        case 27:
            if string(key, equals: "time_to_first_token_seconds") { return .timeToFirstTokenSeconds }
        default:
            break
        }
        return nil
    }
}
