import HealthCore

/// Decodes a pushed batch of outcomes into traffic results, all or nothing.
///
/// Any bad outcome refuses the whole batch, naming its line (NDJSON, 1-based) or index (array, 0-based).
/// Blank NDJSON lines and an empty body are fine (zero outcomes). `now` is Unix seconds: the default
/// timestamp, and the reference for refusing timestamps more than 5 min ahead or 1 h behind.
public func decodeOutcomes(
    _ body: [UInt8], format: OutcomeFormat, limits: IngestLimits, now: Double
) throws(IngestRejection) -> [ModelResult] {
    guard body.count <= limits.maxBodyBytes else {
        throw .bodyTooLarge(bytes: body.count, limit: limits.maxBodyBytes)
    }
    var decoder = BatchDecoder(body: body, limits: limits, now: now)
    do {
        switch format {
        case .jsonArray: try decoder.decodeArray()
        case .ndjson: try decoder.decodeLines()
        }
    } catch {
        guard error.status == 400, looksLikeLiteLLM(body) else { throw error }
        throw IngestRejection(
            status: error.status, reason: error.reason,
            detail: error.detail + " (this looks like LiteLLM's logging payloads: post them to "
                + "/api/v1/outcomes?format=litellm)")
    }
    return decoder.results
}

/// Whether a body holds a field only LiteLLM's `StandardLoggingPayload` has, within its first 64 KiB.
private func looksLikeLiteLLM(_ body: [UInt8]) -> Bool {
    let marker = Array(#""custom_llm_provider""#.utf8)
    let limit = min(body.count, 65_536) - marker.count
    guard limit >= 0 else { return false }
    for start in 0...limit where body[start] == marker[0] && body[start..<start + marker.count].elementsEqual(marker) {
        return true
    }
    return false
}

/// The state of one `decodeOutcomes` call.
private struct BatchDecoder: ArrayBatchDecoder {
    var scanner: JSONScanner
    let limits: IngestLimits
    let now: Double
    var names = OutcomeNames()
    var results: [ModelResult] = []

    init(body: [UInt8], limits: IngestLimits, now: Double) {
        scanner = JSONScanner(bytes: body, position: byteOrderMarkLength(body), end: body.count)
        self.limits = limits
        self.now = now
    }

    mutating func decodeArray() throws(IngestRejection) {
        scanner.skipWhitespace()
        if scanner.isAtEnd { return }
        guard scanner.current == UInt8(ascii: "[") else {
            throw .malformed("malformed JSON at byte \(scanner.position): expected '[' opening an array of outcomes, "
                + scanner.foundDescription)
        }
        try decodeElements(of: "the outcome")
    }

    mutating func appendElement(index: Int) throws(IngestRejection) {
        try appendOutcome(at: "index \(index)") { "at byte \($0)" }
    }

    /// One pass over the body: each line is white space only (skipped) or one object and white space.
    mutating func decodeLines() throws(IngestRejection) {
        scanner = JSONScanner(
            bytes: scanner.bytes, position: scanner.position, end: scanner.end, newlineEndsValue: true)
        var lineNumber = 1
        var lineStart = scanner.position
        while true {
            scanner.skipWhitespace()
            if scanner.current != 0x0A && !scanner.isAtEnd {
                let start = lineStart
                try appendOutcome(at: "line \(lineNumber)") { "at column \($0 - start + 1)" }
                scanner.skipWhitespace()
                guard scanner.current == 0x0A || scanner.isAtEnd else {
                    throw .malformed("line \(lineNumber): malformed JSON at column \(scanner.position - lineStart + 1): "
                        + "unexpected data after the outcome object")
                }
            }
            guard !scanner.isAtEnd else { return }
            scanner.position += 1
            lineStart = scanner.position
            lineNumber += 1
        }
    }

    /// Reads the next outcome, failing with `location` ("line 3", "index 2") and a description of a byte
    /// offset in the messages.
    private mutating func appendOutcome(
        at location: @autoclosure () -> String, offset: (Int) -> String
    ) throws(IngestRejection) {
        guard results.count < limits.maxBatchSize else { throw .batchTooLarge(limit: limits.maxBatchSize) }
        do {
            results.append(try scanner.scanOutcome(now: now, names: &names))
        } catch {
            switch error {
            case .malformed(let message, let at):
                throw .malformed("\(location()): malformed JSON \(offset(at)): \(message)")
            case .invalid(let message):
                throw .invalid("\(location()): \(message)")
            }
        }
    }
}

/// A batch decoder over a JSON array body: the walk over the elements is shared, each element is the decoder's.
protocol ArrayBatchDecoder {
    var scanner: JSONScanner { get set }
    /// Reads the element at the scanner (0-based `index`, for messages) and keeps what it decoded.
    mutating func appendElement(index: Int) throws(IngestRejection)
}

extension ArrayBatchDecoder {
    /// From the array's `[` to the end of the body: each element, separated by commas, then nothing but white space.
    /// `noun` names an element in messages ("the outcome").
    mutating func decodeElements(of noun: String) throws(IngestRejection) {
        scanner.position += 1
        scanner.skipWhitespace()
        if scanner.current == UInt8(ascii: "]") {
            scanner.position += 1
        } else {
            var index = 0
            while true {
                try appendElement(index: index)
                scanner.skipWhitespace()
                if scanner.current == UInt8(ascii: ",") {
                    scanner.position += 1
                    index += 1
                } else if scanner.current == UInt8(ascii: "]") {
                    scanner.position += 1
                    break
                } else {
                    throw .malformed("index \(index): malformed JSON at byte \(scanner.position): expected ',' or ']' "
                        + "after \(noun), \(scanner.foundDescription)")
                }
            }
        }
        scanner.skipWhitespace()
        guard scanner.isAtEnd else {
            throw .malformed("malformed JSON at byte \(scanner.position): unexpected data after the array")
        }
    }
}
