/// Why a whole outcomes batch was refused: the HTTP status to answer, a metric label, and a message for the sender.
public struct IngestRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// 400 malformed or invalid, 401 unauthorized, 413 body or batch too large, 422 unknown provider or too many models.
    public var status: Int
    /// The `reason` label of the rejection counter: one of `IngestRejection.reasons`.
    public var reason: String
    /// What was wrong, naming the limit or the line (NDJSON, 1-based) or index (array, 0-based).
    public var detail: String

    public init(status: Int, reason: String, detail: String) {
        self.status = status
        self.reason = reason
        self.detail = detail
    }

    public var description: String { "\(status) \(reason): \(detail)" }

    /// Every `reason` value, so the rejection counter can export each one at 0.
    public static let reasons = [
        "malformed", "invalid", "body_too_large", "batch_too_large", "unknown_provider", "too_many_models",
        "unauthorized",
    ]

    /// The body is not well-formed JSON / NDJSON, or not UTF-8.
    public static func malformed(_ detail: String) -> IngestRejection {
        IngestRejection(status: 400, reason: "malformed", detail: detail)
    }

    /// Well-formed, but an outcome is missing a field or holds a wrong value.
    public static func invalid(_ detail: String) -> IngestRejection {
        IngestRejection(status: 400, reason: "invalid", detail: detail)
    }

    public static func bodyTooLarge(bytes: Int, limit: Int) -> IngestRejection {
        IngestRejection(
            status: 413, reason: "body_too_large", detail: "body is \(bytes) bytes, the limit is \(limit) bytes")
    }

    public static func batchTooLarge(limit: Int) -> IngestRejection {
        IngestRejection(
            status: 413, reason: "batch_too_large", detail: "batch holds more than \(limit) outcomes, the limit")
    }

    public static func unknownProvider(_ provider: String) -> IngestRejection {
        IngestRejection(
            status: 422, reason: "unknown_provider", detail: "unknown provider \(quoted(provider)): not configured")
    }

    public static func tooManyModels(provider: String, count: Int, limit: Int) -> IngestRejection {
        IngestRejection(
            status: 422, reason: "too_many_models",
            detail: "provider \(quoted(provider)) would have \(count) distinct models, the limit is \(limit)")
    }

    /// The ingest token is missing or wrong. The detail never repeats what was sent.
    public static func unauthorized(_ detail: String = "missing or wrong ingest token") -> IngestRejection {
        IngestRejection(status: 401, reason: "unauthorized", detail: detail)
    }
}

/// A name in double quotes for a message, with control characters shown as `?` so a log line stays one line.
func quoted(_ name: String) -> String {
    var text = "\""
    for scalar in name.unicodeScalars {
        text.unicodeScalars.append(scalar.value < 0x20 || scalar.value == 0x7F ? "?" : scalar)
    }
    return text + "\""
}
