import HealthCore

/// Decodes what LiteLLM's `generic_api` logging callback posts — its `StandardLoggingPayload`s — into gateway calls,
/// all or nothing.
///
/// All three of the callback's batch formats are read without being told which: `json_array` (a JSON array),
/// `ndjson` (one payload per line) and `single` (one payload). Payloads carry the prompt (`messages`), the answer
/// (`response`), user ids, IPs and error texts; the scanner validates and passes over them without copying a byte.
/// Any bad payload refuses the whole batch, naming its index (array, 0-based) or line (1-based). `now` is Unix
/// seconds, the reference for refusing start times more than 5 min ahead or 1 h behind.
public func decodeLiteLLMPayloads(
    _ body: [UInt8], limits: IngestLimits, now: Double
) throws(IngestRejection) -> [GatewayCall] {
    guard body.count <= limits.maxBodyBytes else {
        throw .bodyTooLarge(bytes: body.count, limit: limits.maxBodyBytes)
    }
    var decoder = LiteLLMBatchDecoder(body: body, limits: limits, now: now)
    decoder.scanner.skipWhitespace()
    if decoder.scanner.current == UInt8(ascii: "[") {
        try decoder.decodeArray()
    } else {
        try decoder.decodeSequence()
    }
    return decoder.calls
}

/// The state of one `decodeLiteLLMPayloads` call.
private struct LiteLLMBatchDecoder: ArrayBatchDecoder {
    var scanner: JSONScanner
    let limits: IngestLimits
    let now: Double
    var names = LiteLLMNames()
    var calls: [GatewayCall] = []

    init(body: [UInt8], limits: IngestLimits, now: Double) {
        scanner = JSONScanner(bytes: body, position: byteOrderMarkLength(body), end: body.count)
        self.limits = limits
        self.now = now
    }

    /// `json_array`: `[payload, payload, …]`.
    mutating func decodeArray() throws(IngestRejection) {
        try decodeElements(of: "the payload")
    }

    mutating func appendElement(index: Int) throws(IngestRejection) {
        try appendCall { "index \(index)" }
    }

    /// `ndjson` and `single`: payloads one after the other, separated by white space. LiteLLM writes one per line;
    /// reading them as a sequence also takes a pretty-printed single payload. Locations are given as lines.
    mutating func decodeSequence() throws(IngestRejection) {
        while true {
            scanner.skipWhitespace()
            if scanner.isAtEnd { return }
            let start = scanner.position
            let bytes = scanner.bytes
            try appendCall { "line \(lineNumber(at: start, in: bytes))" }
        }
    }


    private mutating func appendCall(at location: () -> String) throws(IngestRejection) {
        guard calls.count < limits.maxBatchSize else { throw .batchTooLarge(limit: limits.maxBatchSize) }
        do {
            calls.append(try scanner.scanLiteLLMPayload(now: now, names: &names))
        } catch {
            switch error {
            case .malformed(let message, let at):
                throw .malformed("\(location()): malformed JSON at byte \(at): \(message)")
            case .invalid(let message):
                throw .invalid("\(location()): \(message)")
            }
        }
    }
}

/// The 1-based line of a byte offset: only counted when a message needs it.
private func lineNumber(at offset: Int, in bytes: [UInt8]) -> Int {
    var lines = 1
    for index in 0..<offset where bytes[index] == 0x0A { lines += 1 }
    return lines
}
