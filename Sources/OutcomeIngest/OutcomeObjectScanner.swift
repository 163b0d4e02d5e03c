import HealthCore

/// Longest provider or model name accepted, in bytes: names become label values.
let maxNameBytes = 256
/// How far ahead of `now` a timestamp may be (clock skew), and how far behind (older results have left
/// every window that would use them).
let maxFutureSkewSeconds = 300.0
let maxAgeSeconds = 3600.0

extension JSONScanner {
    /// Reads one outcome object starting at its `{` (after white space) into a traffic result.
    mutating func scanOutcome(now: Double, names: inout OutcomeNames) throws(ScanFailure) -> ModelResult {
        skipWhitespace()
        guard current == UInt8(ascii: "{") else {
            if let byte = current, "[\"tfn-0123456789".utf8.contains(byte) {
                throw .invalid("expected an outcome object, found \(kindOfNextValue)")
            }
            throw malformed("expected an outcome object, \(foundDescription)")
        }
        position += 1

        var fields = OutcomeValues()
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            position += 1
        } else {
            while true {
                skipWhitespace()
                guard current == UInt8(ascii: "\"") else {
                    throw malformed("expected a field name, \(foundDescription)")
                }
                let key = try scanString()
                try expect(UInt8(ascii: ":"), "':'")
                skipWhitespace()
                if let field = outcomeField(named: key) {
                    guard fields.seen & field.bit == 0 else { throw .invalid("duplicate field \"\(field.name)\"") }
                    fields.seen |= field.bit
                    try scanValue(of: field, into: &fields, names: &names)
                } else {
                    try skipValue(depth: 1)
                }
                skipWhitespace()
                if current == UInt8(ascii: ",") {
                    position += 1
                } else if current == UInt8(ascii: "}") {
                    position += 1
                    break
                } else {
                    throw malformed("expected ',' or '}', \(foundDescription)")
                }
            }
        }
        return try fields.result(now: now)
    }

    private mutating func scanValue(
        of field: OutcomeField, into fields: inout OutcomeValues, names: inout OutcomeNames
    ) throws(ScanFailure) {
        let byte = current
        switch field {
        case .provider, .model:
            guard byte == UInt8(ascii: "\"") else { try wrongType(field, "must be a string") }
            let token = try scanString()
            guard token.byteCount > 0 else { throw .invalid("\(field.name) must not be empty") }
            guard token.byteCount <= maxNameBytes else {
                throw .invalid("\(field.name) is longer than \(maxNameBytes) bytes")
            }
            if field == .provider {
                fields.provider = names.providers.name(token, in: self)
            } else {
                fields.model = names.models.name(token, in: self)
            }
        case .success:
            if byte == UInt8(ascii: "t") {
                try scanLiteral("true")
                fields.success = true
            } else if byte == UInt8(ascii: "f") {
                try scanLiteral("false")
                fields.success = false
            } else {
                try wrongType(field, "must be true or false")
            }
        case .latencySeconds:
            guard let byte, byte == UInt8(ascii: "-") || byte &- UInt8(ascii: "0") < 10 else {
                try wrongType(field, "must be a number >= 0")
            }
            let value = try scanNumber(converting: true)
            guard value >= 0, value.isFinite else { throw .invalid("latency_seconds must be a number >= 0") }
            fields.latencySeconds = value + 0  // -0 becomes 0
        case .timeToFirstTokenSeconds:
            if byte == UInt8(ascii: "n") { return try scanLiteral("null") }
            guard let byte, byte == UInt8(ascii: "-") || byte &- UInt8(ascii: "0") < 10 else {
                try wrongType(field, "must be a number >= 0 or null")
            }
            let value = try scanNumber(converting: true)
            guard value >= 0, value.isFinite else {
                throw .invalid("time_to_first_token_seconds must be a number >= 0 or null")
            }
            fields.timeToFirstTokenSeconds = value + 0
        case .statusCode:
            if byte == UInt8(ascii: "n") { return try scanLiteral("null") }
            guard let byte, byte == UInt8(ascii: "-") || byte &- UInt8(ascii: "0") < 10 else {
                try wrongType(field, "must be an integer HTTP status or null")
            }
            let value = try scanNumber(converting: true)
            guard let status = Int(exactly: value), status == 0 || (100...599).contains(status) else {
                throw .invalid("status_code must be an HTTP status 100-599 (or 0 / null for none)")
            }
            // 0 is the common way to say "no HTTP response": the same as no status.
            fields.statusCode = status == 0 ? nil : status
        case .error:
            if byte == UInt8(ascii: "n") { return try scanLiteral("null") }
            guard byte == UInt8(ascii: "\"") else { try wrongType(field, "must be a string or null") }
            let token = try scanString()
            fields.error = sanitizedErrorText(
                token.hasEscapes ? ArraySlice(unescapedBytes(token)) : bytes[token.start..<token.end])
        case .timestamp:
            if byte == UInt8(ascii: "n") { return try scanLiteral("null") }
            if byte == UInt8(ascii: "\"") {
                let token = try scanString()
                let text = token.hasEscapes ? ArraySlice(unescapedBytes(token)) : bytes[token.start..<token.end]
                guard let seconds = unixSecondsFromRFC3339(text) else {
                    throw .invalid("timestamp must be Unix seconds or an RFC 3339 date-time")
                }
                fields.timestamp = seconds
            } else if let byte, byte == UInt8(ascii: "-") || byte &- UInt8(ascii: "0") < 10 {
                fields.timestamp = try scanNumber(converting: true)
            } else {
                try wrongType(field, "must be Unix seconds, an RFC 3339 date-time or null")
            }
        }
    }

    /// Fails for a value of the wrong kind, after making sure it is at least well-formed JSON (so that
    /// broken syntax is reported as such).
    private mutating func wrongType(_ field: OutcomeField, _ rule: String) throws(ScanFailure) -> Never {
        let kind = kindOfNextValue
        try skipValue(depth: 1)
        throw .invalid("\(field.name) \(rule), found \(kind)")
    }
}

/// The values of one outcome object as they are read.
private struct OutcomeValues {
    var seen: UInt8 = 0
    var provider = ""
    var model = ""
    var success = false
    var latencySeconds = 0.0
    var statusCode: Int?
    /// Already sanitized.
    var error: [UInt8]?
    var timestamp: Double?
    var timeToFirstTokenSeconds: Double?

    func result(now: Double) throws(ScanFailure) -> ModelResult {
        for field in OutcomeField.required where seen & field.bit == 0 {
            throw .invalid("missing required field \"\(field.name)\"")
        }
        let timestamp = timestamp ?? now
        if let problem = timestampProblem(timestamp, now: now) { throw .invalid(problem) }
        let errorText = error.flatMap { $0.isEmpty ? nil : $0 }
        return ModelResult(
            provider: provider, model: model, success: success,
            reason: success ? nil : FailureReason.forReportedFailure(statusCode: statusCode, errorText: errorText),
            latencySeconds: latencySeconds, statusCode: statusCode, source: .traffic, timestamp: timestamp,
            error: errorText.map { String(decoding: $0, as: UTF8.self) },
            timeToFirstTokenSeconds: timeToFirstTokenSeconds)
    }
}

/// Why an outcome's time cannot be recorded, nil when it can: not finite, more than 5 min ahead of `now` (clock
/// skew), or more than 1 h behind (it has left every window that would use it).
public func timestampProblem(_ timestamp: Double, now: Double) -> String? {
    guard timestamp.isFinite else { return "timestamp must be a finite number" }
    if timestamp > now + maxFutureSkewSeconds {
        return "timestamp \(secondsText(timestamp)) is more than 5 min in the future (now \(secondsText(now)))"
    }
    if timestamp < now - maxAgeSeconds {
        return "timestamp \(secondsText(timestamp)) is more than 1 h old (now \(secondsText(now)))"
    }
    return nil
}

/// Whole seconds when the value is integral, for messages.
private func secondsText(_ seconds: Double) -> String {
    if let whole = Int(exactly: seconds) { return String(whole) }
    return String(seconds)
}
