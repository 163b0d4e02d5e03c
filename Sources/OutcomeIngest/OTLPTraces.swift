import HealthCore

/// How an OTLP/HTTP request body is encoded (its `Content-Type`), which is also how the answer is encoded.
public enum OTLPEncoding: Sendable, Equatable {
    /// `application/x-protobuf`: an `ExportTraceServiceRequest` message.
    case protobuf
    /// `application/json`: the OTLP JSON mapping of the same message.
    case json

    /// The encoding a `Content-Type` names (parameters, case and blanks ignored), or nil for any other type.
    public init?(contentType: String?) {
        guard let contentType else { return nil }
        let mediaType = contentType.utf8.prefix { $0 != UInt8(ascii: ";") }
            .filter { $0 != 0x20 && $0 != 0x09 }
            .map { $0 &- UInt8(ascii: "A") < 26 ? $0 | 0x20 : $0 }
        switch String(decoding: mediaType, as: UTF8.self) {
        case "application/x-protobuf", "application/protobuf": self = .protobuf
        case "application/json": self = .json
        default: return nil
        }
    }

    public var contentType: String {
        switch self {
        case .protobuf: "application/x-protobuf"
        case .json: "application/json"
        }
    }
}

/// What one OTLP trace export held, for the health of providers.
public struct OTLPTraceBatch: Sendable, Equatable {
    /// One call per GenAI span that had what a call needs.
    public var calls: [GatewayCall] = []
    /// Spans without GenAI attributes (HTTP handlers, database queries, ...): not calls to a provider.
    public var ignoredSpans = 0
    /// GenAI spans that could not become a call (no model, ending before they start): OTLP's `rejected_spans`.
    public var rejectedSpans = 0
    /// Why the first rejected span was rejected, naming its index and the attribute — never a value.
    public var firstRejection: String?

    public init() {}
}

/// Decodes an OTLP/HTTP `ExportTraceServiceRequest` into the calls its GenAI spans report.
///
/// A span is a GenAI call when it has `gen_ai.provider.name`, `gen_ai.system` (its name before semantic
/// conventions 1.37) or `gen_ai.operation.name`. Only the attributes a call needs are read; prompts, completions,
/// events, ids, status messages and every other attribute are passed over without being copied. A body that is
/// not a well-formed message is refused whole (`IngestRejection.malformed`, naming the byte); a GenAI span that
/// lacks what a call needs is counted in `rejectedSpans` and the rest are kept, as OTLP's partial success says.
public func decodeOTLPTraces(
    _ body: [UInt8], encoding: OTLPEncoding, limits: IngestLimits
) throws(IngestRejection) -> OTLPTraceBatch {
    guard body.count <= limits.maxBodyBytes else {
        throw .bodyTooLarge(bytes: body.count, limit: limits.maxBodyBytes)
    }
    var collector = SpanCollector(maxCalls: limits.maxBatchSize)
    switch encoding {
    case .protobuf:
        do {
            var reader = ProtobufReader(bytes: body)
            try reader.readExportRequest(into: &collector)
        } catch let error as ProtobufError {
            throw .malformed("malformed protobuf at byte \(error.offset): \(error.message)")
        } catch let error as IngestRejection {
            throw error
        } catch {
            throw .malformed("malformed protobuf")
        }
    case .json:
        var scanner = JSONScanner(bytes: body, position: byteOrderMarkLength(body), end: body.count)
        do {
            try scanner.readExportRequest(into: &collector)
        } catch let error as ScanFailure {
            switch error {
            case .malformed(let message, let offset): throw .malformed("malformed JSON at byte \(offset): \(message)")
            case .invalid(let message): throw .malformed("not an OTLP trace export: \(message)")
            }
        } catch let error as IngestRejection {
            throw error
        } catch {
            throw .malformed("malformed JSON")
        }
    }
    return collector.batch
}

/// The attributes of a span that a call is made of. Every other key is passed over.
enum SpanAttribute: CaseIterable {
    case providerName, system, operationName, requestModel, responseModel, serverAddress, serverPort, errorType
    case httpStatusCode, timeToFirstChunk

    var key: StaticString {
        switch self {
        case .providerName: "gen_ai.provider.name"
        case .system: "gen_ai.system"
        case .operationName: "gen_ai.operation.name"
        case .requestModel: "gen_ai.request.model"
        case .responseModel: "gen_ai.response.model"
        case .serverAddress: "server.address"
        case .serverPort: "server.port"
        case .errorType: "error.type"
        case .httpStatusCode: "http.response.status_code"
        // Seconds from the request to the first streamed chunk (GenAI semantic conventions, streaming calls).
        case .timeToFirstChunk: "gen_ai.response.time_to_first_chunk"
        }
    }

    /// The attribute whose key `key` holds, compared in place without building a String.
    @inline(__always)
    static func named(_ key: some Collection<UInt8>) -> SpanAttribute? {
        // Every wanted key starts with one of these four letters: most keys are dismissed by their first byte.
        guard let first = key.first,
            first == UInt8(ascii: "g") || first == UInt8(ascii: "s") || first == UInt8(ascii: "e")
                || first == UInt8(ascii: "h")
        else { return nil }
        let count = key.count
        for attribute in allCases where attribute.key.utf8CodeUnitCount == count {
            let matches = attribute.key.withUTF8Buffer { key.elementsEqual($0) }
            if matches { return attribute }
        }
        return nil
    }
}

/// An attribute value as read from the body: text stays a view of the body's bytes (or of the unescaped JSON
/// string) until a call needs it.
enum AttributeValue {
    case text(ArraySlice<UInt8>)
    case int(Int64)
    case double(Double)
    case bool(Bool)
    /// An array, a key-value list or bytes: no wanted attribute has one.
    case other
}

/// The values of one span that a call needs, in either encoding.
struct SpanValues {
    var startNanos: UInt64 = 0
    var endNanos: UInt64 = 0
    /// OTLP's `Status.code`: 0 unset, 1 ok, 2 error.
    var statusCode: Int64 = 0
    var providerName: AttributeValue?
    var system: AttributeValue?
    var operationName: AttributeValue?
    var requestModel: AttributeValue?
    var responseModel: AttributeValue?
    var serverAddress: AttributeValue?
    var serverPort: AttributeValue?
    var errorType: AttributeValue?
    var httpStatusCode: AttributeValue?
    var timeToFirstChunk: AttributeValue?

    @inline(__always)
    mutating func set(_ attribute: SpanAttribute, _ value: AttributeValue) {
        switch attribute {
        case .providerName: providerName = value
        case .system: system = value
        case .operationName: operationName = value
        case .requestModel: requestModel = value
        case .responseModel: responseModel = value
        case .serverAddress: serverAddress = value
        case .serverPort: serverPort = value
        case .errorType: errorType = value
        case .httpStatusCode: httpStatusCode = value
        case .timeToFirstChunk: timeToFirstChunk = value
        }
    }

    var isGenAI: Bool { providerName != nil || system != nil || operationName != nil }
}

/// OTLP's `Status.code` of a failed span (`STATUS_CODE_ERROR`).
let spanStatusError: Int64 = 2

/// Turns the spans of one request into calls, counting the others; both decoders feed it span by span.
struct SpanCollector {
    var batch = OTLPTraceBatch()
    let maxCalls: Int
    private var spanIndex = 0
    private var providers = RecentTexts()
    private var models = RecentTexts()
    private var endpoints = RecentTexts()
    private var errorLabels = RecentTexts()

    init(maxCalls: Int) {
        self.maxCalls = maxCalls
        batch.calls.reserveCapacity(64)
    }

    mutating func add(_ span: SpanValues) throws(IngestRejection) {
        defer { spanIndex += 1 }
        guard span.isGenAI else {
            batch.ignoredSpans += 1
            return
        }
        switch call(from: span) {
        case .success(let call):
            guard batch.calls.count < maxCalls else { throw .batchTooLarge(limit: maxCalls) }
            batch.calls.append(call)
        case .failure(let rejection):
            batch.rejectedSpans += 1
            if batch.firstRejection == nil { batch.firstRejection = "span \(spanIndex): \(rejection.reason)" }
        }
    }

    private mutating func call(from span: SpanValues) -> Result<GatewayCall, SpanRejection> {
        guard let model = nonEmptyText(span.responseModel) ?? nonEmptyText(span.requestModel) else {
            return .failure(SpanRejection("a GenAI span without gen_ai.response.model or gen_ai.request.model"))
        }
        guard model.count <= maxNameBytes else {
            return .failure(SpanRejection("its model name is longer than \(maxNameBytes) bytes"))
        }
        guard span.startNanos > 0 else { return .failure(SpanRejection("no start_time_unix_nano")) }
        guard span.endNanos >= span.startNanos else {
            return .failure(SpanRejection("end_time_unix_nano is before start_time_unix_nano"))
        }
        let provider = nonEmptyText(span.providerName) ?? nonEmptyText(span.system)
        if let provider, provider.count > maxNameBytes {
            return .failure(SpanRejection("its provider name is longer than \(maxNameBytes) bytes"))
        }
        var endpoint: String?
        if let address = nonEmptyText(span.serverAddress) {
            guard address.count <= maxNameBytes else {
                return .failure(SpanRejection("its server.address is longer than \(maxNameBytes) bytes"))
            }
            if mayHoldUserInfoQueryOrFragment(address) {
                // Not a host name: user info, a query or a fragment is not kept (the rule of LiteLLM's `api_base`).
                let host = strippedEndpoint(String(decoding: address, as: UTF8.self))
                endpoint = host.isEmpty ? nil : integer(span.serverPort).map { "\(host):\($0)" } ?? host
            } else {
                endpoint = endpoints.string(address, port: integer(span.serverPort))
            }
        }

        let errorType = nonEmptyText(span.errorType)
        let success = span.statusCode != spanStatusError && errorType == nil
        var statusCode = integer(span.httpStatusCode).flatMap { (100...599).contains($0) ? Int($0) : nil }
        // `error.type` is often the HTTP status itself ("429", "500").
        if statusCode == nil, let errorType, let code = decimal(errorType), (100...599).contains(code) {
            statusCode = Int(code)
        }
        var reason: FailureReason?
        var errorLabel: String?
        if !success {
            reason = FailureReason.forReportedFailure(statusCode: statusCode, errorText: errorType.map(Array.init))
            if let errorType, isErrorClassName(errorType) { errorLabel = errorLabels.string(errorType) }
        }
        let latency = Double(span.endNanos - span.startNanos) / 1e9
        var timeToFirstToken: Double?
        switch span.timeToFirstChunk {
        case .double(let seconds) where seconds >= 0 && seconds.isFinite: timeToFirstToken = seconds
        case .int(let seconds) where seconds >= 0: timeToFirstToken = Double(seconds)
        default: break
        }
        return .success(
            GatewayCall(
                route: ReportedRoute(provider: provider.map { providers.string($0) }, endpoint: endpoint),
                model: models.string(model), operation: operation(span.operationName), success: success,
                statusCode: statusCode, reason: reason, latencySeconds: latency,
                timeToFirstTokenSeconds: timeToFirstToken, timestamp: Double(span.startNanos) / 1e9,
                errorLabel: errorLabel))
    }

    private func operation(_ value: AttributeValue?) -> OperationName {
        guard case .text(let name) = value else { return .chat }
        for operation in [OperationName.textCompletion, .embeddings, .generateContent]
        where name.elementsEqual(operation.rawValue.utf8) {
            return operation
        }
        // `chat`, and what is not a call to a model's API of its own (`invoke_agent`, `execute_tool`, ...).
        return .chat
    }
}

/// Why a GenAI span did not become a call: names the attribute, never its value.
struct SpanRejection: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}

private func nonEmptyText(_ value: AttributeValue?) -> ArraySlice<UInt8>? {
    guard case .text(let text) = value, !text.isEmpty else { return nil }
    return text
}

/// An integer attribute, or an integer written as text (`"429"`).
private func integer(_ value: AttributeValue?) -> Int64? {
    switch value {
    case .int(let number): return number
    case .text(let text): return decimal(text)
    case .double(let number): return Int64(exactly: number)
    default: return nil
    }
}

/// The value of ASCII decimal digits, or nil when there are none, something else, or more than an Int64 holds.
func decimal(_ text: some Collection<UInt8>) -> Int64? {
    guard !text.isEmpty, text.count <= 19 else { return nil }
    var value: Int64 = 0
    for byte in text {
        guard byte &- UInt8(ascii: "0") < 10 else { return nil }
        let (times10, overflow) = value.multipliedReportingOverflow(by: 10)
        let (sum, overflowAdding) = times10.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
        guard !overflow, !overflowAdding else { return nil }
        value = sum
    }
    return value
}

/// Whether an `error.type` looks like what the conventions put there — an exception class or an error code
/// (`RateLimitError`, `openai.APITimeoutError`, `500`, `timeout`) — and so may become a label. Anything else
/// (spaces, quotes, more than 64 bytes) could be message text, and is used for the reason only.
private func isErrorClassName(_ text: ArraySlice<UInt8>) -> Bool {
    guard text.count <= 64 else { return false }
    return text.allSatisfy { byte in
        byte &- UInt8(ascii: "a") < 26 || byte &- UInt8(ascii: "A") < 26 || byte &- UInt8(ascii: "0") < 10
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: ":")
    }
}

/// Strings recently built from the body's bytes, so that a batch repeating a handful of providers and models (the
/// usual case) builds each once.
struct RecentTexts {
    private var entries: [(bytes: ArraySlice<UInt8>, port: Int64?, value: String)] = []
    private var next = 0
    private static let capacity = 8

    mutating func string(_ text: ArraySlice<UInt8>, port: Int64? = nil) -> String {
        for entry in entries where entry.port == port && entry.bytes.elementsEqual(text) { return entry.value }
        var value = String(decoding: text, as: UTF8.self)
        if let port { value += ":\(port)" }
        if entries.count < Self.capacity {
            entries.append((text, port, value))
        } else {
            entries[next] = (text, port, value)
            next = (next + 1) % Self.capacity
        }
        return value
    }
}
