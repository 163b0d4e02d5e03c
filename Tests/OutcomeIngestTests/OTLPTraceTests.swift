#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HealthCore
import TestSupport
import Testing

@testable import OutcomeIngest

/// OTLP trace exports made by the OpenTelemetry Python SDK (testdata, written by integration/e2e/otlp_spans.py),
/// hand-built protobuf for the corners, and random and mutated bodies.
@Suite struct OTLPTraceTests {
    static let testdata = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("testdata")
    static let protobufFixture = fixture("otlp-traces.pb")
    static let jsonFixture = fixture("otlp-traces.json")
    /// The strings otlp_spans.py puts in prompts, completions, events, status messages, user ids and addresses.
    static let canaries = ["CANARY-PROMPT-4b1d9e", "CANARY-RESPONSE-c07a52", "canary-user-58f3", "203.0.113.251"]
    /// 2025-12-02T00:00:00Z, the start of the fixture's first span.
    static let start = 1_764_633_600.0

    static func fixture(_ name: String) -> [UInt8] {
        (try? Array(Data(contentsOf: testdata.appendingPathComponent(name)))) ?? []
    }

    func decode(
        _ body: [UInt8], _ encoding: OTLPEncoding, limits: IngestLimits = IngestLimits()
    ) throws(IngestRejection) -> OTLPTraceBatch {
        try decodeOTLPTraces(body, encoding: encoding, limits: limits)
    }

    func rejection(_ body: [UInt8], _ encoding: OTLPEncoding) -> IngestRejection? {
        do {
            _ = try decode(body, encoding)
            return nil
        } catch {
            return error
        }
    }

    func call(_ batch: OTLPTraceBatch, model: String) throws -> GatewayCall {
        try #require(batch.calls.first { $0.model == model }, "no call for \(model)")
    }

    @Test func theSDKsProtobufExportBecomesCalls() throws {
        #expect(Self.protobufFixture.count > 1_000)
        let batch = try decode(Self.protobufFixture, .protobuf)
        #expect(batch.calls.count == 6)
        #expect(batch.ignoredSpans == 1)
        #expect(batch.rejectedSpans == 1)
        // The spans are grouped by instrumentation scope: the model-less span is the fifth of the first scope.
        #expect(batch.firstRejection == "span 4: a GenAI span without gen_ai.response.model or gen_ai.request.model")

        let streamed = try call(batch, model: "gpt-4o-mini-2024-07-18")
        #expect(streamed.route == ReportedRoute(provider: "openai", endpoint: "api.openai.com:443"))
        #expect(streamed.operation == .chat && streamed.success && streamed.reason == nil && streamed.errorLabel == nil)
        #expect(streamed.latencySeconds == 1.25)
        #expect(streamed.timeToFirstTokenSeconds == 0.25)
        #expect(streamed.timestamp == Self.start)

        let limited = try call(batch, model: "claude-sonnet-4")
        #expect(limited.route == ReportedRoute(provider: "anthropic", endpoint: "api.anthropic.com"))
        #expect(!limited.success && limited.statusCode == 429 && limited.reason == .rateLimited)
        #expect(limited.errorLabel == "RateLimitError")
        #expect(abs(limited.latencySeconds - 0.3) < 1e-9)
        #expect(limited.timestamp == Self.start + 0.001)

        let embeddings = try call(batch, model: "text-embedding-3-small")
        #expect(embeddings.operation == .embeddings && embeddings.statusCode == 500 && embeddings.reason == .http5xx)
        #expect(embeddings.errorLabel == "500")

        let timedOut = try call(batch, model: "gpt-4o")
        #expect(timedOut.reason == .timeout && timedOut.statusCode == nil && timedOut.latencySeconds == 30)

        let agent = try call(batch, model: "gemini-2.5-flash")
        #expect(agent.operation == .chat && agent.success && agent.route == ReportedRoute(provider: "gcp.gemini"))
        #expect(agent.timeToFirstTokenSeconds == nil)

        let vertex = try call(batch, model: "gemini-2.5-pro")
        #expect(vertex.operation == .generateContent)
        #expect(vertex.route.endpoint == "europe-west4-aiplatform.googleapis.com:443")
    }

    @Test func theJSONEncodingOfTheSameExportGivesTheSameCalls() throws {
        let fromJSON = try decode(Self.jsonFixture, .json)
        let fromProtobuf = try decode(Self.protobufFixture, .protobuf)
        #expect(fromJSON.calls.count == 6)
        #expect(fromJSON == fromProtobuf)
    }

    @Test func promptsAndResponsesAreNeverCopied() throws {
        for (body, encoding) in [(Self.protobufFixture, OTLPEncoding.protobuf), (Self.jsonFixture, .json)] {
            let text = Array(String(decoding: body, as: UTF8.self).utf8)
            #expect(Self.canaries.allSatisfy { contains(text, $0) }, "the fixture carries the canaries")
            let batch = try decode(body, encoding)
            expectNoCanary(String(describing: batch))
        }
    }

    func expectNoCanary(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for canary in Self.canaries {
            #expect(!text.contains(canary), "\(canary) leaked", sourceLocation: sourceLocation)
        }
    }

    // MARK: Malformed protobuf

    @Test(arguments: [
        ([0x0A, 0x80], "malformed protobuf at byte 1: truncated varint"),
        (
            [0x0A, 0x05, 0x01],
            "malformed protobuf at byte 1: length 5 runs past the end of the enclosing message (1 bytes left)"
        ),
        (
            [0x08, 0x01],
            "malformed protobuf at byte 0: ExportTraceServiceRequest.resource_spans (field 1) "
                + "has wire type 0 (varint), expected 2 (length-delimited)"
        ),
        ([0x0F], "malformed protobuf at byte 0: invalid wire type 7 for field 1"),
        ([0x02, 0x00], "malformed protobuf at byte 0: invalid field number 0"),
        ([0x1B, 0x08, 0x01], "malformed protobuf at byte 0: unterminated group 3"),
        ([0x1C], "malformed protobuf at byte 0: end of group 3 without its start"),
        ([0x1B, 0x24], "malformed protobuf at byte 1: group 3 ended by field 4"),
        ([0x11, 0x01, 0x02], "malformed protobuf at byte 1: truncated fixed64"),
        ([0x15, 0x01], "malformed protobuf at byte 1: truncated fixed32"),
        (
            [0x10] + [UInt8](repeating: 0xFF, count: 9) + [0x02],
            "malformed protobuf at byte 1: varint longer than 64 bits"
        ),
    ] as [([UInt8], String)])
    func malformedProtobufIsRefusedNamingTheByte(body: [UInt8], detail: String) {
        let error = rejection(body, .protobuf)
        #expect(error?.status == 400)
        #expect(error?.reason == "malformed")
        #expect(error?.detail == detail)
    }

    @Test func wrongWireTypesDeepInsideASpanAreNamed() {
        // A span whose start time is a varint, and one whose attribute value's int is length-delimited.
        let startAsVarint = request { span in span.varint(7, 5) }
        #expect(rejection(startAsVarint, .protobuf)?.detail.contains(
            "Span.start_time_unix_nano (field 7) has wire type 0 (varint), expected 1 (fixed64)") == true)
        let intAsBytes = request { span in
            span.message(9) { keyValue in
                keyValue.string(1, "server.port")
                keyValue.message(2) { value in value.string(3, "443") }
            }
        }
        let detail = rejection(intAsBytes, .protobuf)?.detail ?? ""
        #expect(detail.contains("AnyValue.int_value (field 3) has wire type 2"))
    }

    @Test func unknownFieldsOfEveryWireTypeArePassedOver() throws {
        func unknowns(_ message: inout ProtobufWriter) {
            message.varint(100, 1 << 40)
            message.fixed64(101, 7)
            message.string(102, "CANARY-PROMPT-4b1d9e")
            message.fixed32(103, 9)
            message.group(104) { group in
                group.varint(1, 1)
                group.group(2) { inner in inner.string(1, "nested") }
            }
        }
        func body(withUnknowns: Bool) -> [UInt8] {
            request(unknowns: withUnknowns ? unknowns : { _ in }) { span in
                if withUnknowns { unknowns(&span) }
                span.attribute("gen_ai.provider.name", withUnknowns ? unknowns : { _ in }) { $0.string(1, "openai") }
                span.attribute("gen_ai.request.model") { $0.string(1, "gpt-4o") }
                span.attribute("server.port", withUnknowns ? unknowns : { _ in }) { $0.varint(3, 8443) }
                span.attribute("server.address") { $0.string(1, "llm.internal") }
                span.message(15) { status in
                    if withUnknowns { unknowns(&status) }
                    status.string(2, "CANARY-RESPONSE-c07a52")
                    status.varint(3, 2)
                }
            }
        }
        let plain = try decode(body(withUnknowns: false), .protobuf)
        let withUnknowns = try decode(body(withUnknowns: true), .protobuf)
        #expect(plain.calls.count == 1)
        #expect(plain.calls.first?.route == ReportedRoute(provider: "openai", endpoint: "llm.internal:8443"))
        #expect(plain.calls.first?.success == false)
        #expect(withUnknowns == plain)
    }

    @Test func aValueBeforeItsKeyAndRepeatedFieldsAreRead() throws {
        let body = request { span in
            span.message(9) { keyValue in
                keyValue.message(2) { $0.string(1, "mistral") }
                keyValue.string(1, "gen_ai.provider.name")
            }
            span.attribute("gen_ai.request.model") { $0.string(1, "first") }
            span.attribute("gen_ai.request.model") { $0.string(1, "mistral-large") }
            // An error status with no error.type still fails the call.
            span.message(15) { $0.varint(3, 2) }
        }
        let call = try #require(try decode(body, .protobuf).calls.first)
        #expect(call.route.provider == "mistral" && call.model == "mistral-large")
        #expect(!call.success && call.reason == .badResponse && call.errorLabel == nil)
    }

    @Test func spansThatCannotBeCallsAreRejectedAndCounted() throws {
        let endBeforeStart = request(end: 1_764_633_599_000_000_000) { span in
            span.attribute("gen_ai.operation.name") { $0.string(1, "chat") }
            span.attribute("gen_ai.request.model") { $0.string(1, "gpt-4o") }
        }
        let noStart = request(start: 0) { span in
            span.attribute("gen_ai.system") { $0.string(1, "openai") }
            span.attribute("gen_ai.response.model") { $0.string(1, "gpt-4o") }
        }
        let longModel = request { span in
            span.attribute("gen_ai.system") { $0.string(1, "openai") }
            span.attribute("gen_ai.request.model") { $0.string(1, String(repeating: "m", count: 257)) }
        }
        let cases = [
            (endBeforeStart, "span 0: end_time_unix_nano is before start_time_unix_nano"),
            (noStart, "span 0: no start_time_unix_nano"),
            (longModel, "span 0: its model name is longer than 256 bytes"),
        ]
        for (body, message) in cases {
            let batch = try decode(body, .protobuf)
            #expect(batch.calls.isEmpty && batch.rejectedSpans == 1 && batch.firstRejection == message)
        }
    }

    @Test func anErrorTypeThatIsNotAClassNameIsNeverALabel() throws {
        let body = request { span in
            span.attribute("gen_ai.provider.name") { $0.string(1, "openai") }
            span.attribute("gen_ai.request.model") { $0.string(1, "gpt-4o") }
            span.attribute("error.type") { $0.string(1, "rate limit for CANARY-PROMPT-4b1d9e") }
        }
        let call = try #require(try decode(body, .protobuf).calls.first)
        #expect(call.reason == .rateLimited && call.errorLabel == nil)
    }

    @Test(arguments: [
        ("RateLimitError", FailureReason.rateLimited), ("openai.APITimeoutError", .timeout),
        ("APIConnectionError", .connect), ("InternalServerError", .http5xx), ("AuthenticationError", .auth),
        ("PermissionDeniedError", .auth), ("404", .http4xx), ("503", .http5xx), ("_OTHER", .badResponse),
    ])
    func errorTypesAreClassified(errorType: String, reason: FailureReason) throws {
        let body = request { span in
            span.attribute("gen_ai.provider.name") { $0.string(1, "openai") }
            span.attribute("gen_ai.request.model") { $0.string(1, "gpt-4o") }
            span.attribute("error.type") { $0.string(1, errorType) }
        }
        let call = try #require(try decode(body, .protobuf).calls.first)
        #expect(!call.success && call.reason == reason && call.errorLabel == errorType)
    }

    @Test func aBatchOverTheLimitIsRefusedWhole() {
        var limits = IngestLimits()
        limits.maxBatchSize = 3
        #expect(throws: IngestRejection.batchTooLarge(limit: 3)) {
            try decode(Self.protobufFixture, .protobuf, limits: limits)
        }
        limits.maxBodyBytes = 100
        #expect(rejection(Self.jsonFixture, .json) == nil)
        #expect(throws: IngestRejection.bodyTooLarge(bytes: Self.jsonFixture.count, limit: 100)) {
            try decode(Self.jsonFixture, .json, limits: limits)
        }
    }

    // MARK: JSON

    @Test func jsonVariantsTheMappingAllows() throws {
        let body = """
            {"resourceSpans":[{"resource":null,"scopeSpans":[{"spans":[
              {"attributes":[{"value":{"stringValue":"openai"},"key":"gen_ai.provider.name"},
                {"key":"gen_ai.request.model","value":{"stringValue":"gpt-\\u0034o"}},
                {"key":"server.port","value":{"intValue":443}},
                {"key":"server.address","value":{"stringValue":"x.test"}},
                {"key":"gen_ai.response.time_to_first_chunk","value":{"doubleValue":0.5}},
                {"key":"gen_ai.input.messages",
                 "value":{"arrayValue":{"values":[{"stringValue":"CANARY-PROMPT-4b1d9e"}]}}}],
               "startTimeUnixNano":1764633600000000000,"endTimeUnixNano":"1764633602000000000",
               "status":{"code":"STATUS_CODE_ERROR","message":"CANARY-RESPONSE-c07a52"},
               "events":[{"name":"x",
                 "attributes":[{"key":"gen_ai.prompt","value":{"stringValue":"CANARY-PROMPT-4b1d9e"}}]}]}
            ]}]}]}
            """
        let call = try #require(try decode(Array(body.utf8), .json).calls.first)
        #expect(call.route == ReportedRoute(provider: "openai", endpoint: "x.test:443"))
        #expect(call.model == "gpt-4o" && !call.success && call.timeToFirstTokenSeconds == 0.5)
        #expect(call.latencySeconds == 2 && call.timestamp == Self.start)
        expectNoCanary(String(describing: call))
        #expect(try decode(Array("{}".utf8), .json).calls.isEmpty)
        #expect(try decode(Array(#"{"resourceSpans":[]}"#.utf8), .json).calls.isEmpty)
    }

    /// `server.address` is a host name; whatever else an instrumentation put there — user info, a query, a
    /// fragment — is not kept (it would reach a rejection's message, or name a traffic-only provider).
    @Test func serverAddressKeepsOnlyTheHost() throws {
        for (address, endpoint) in [
            ("user:CANARY-SECRET@llm.example.com", "llm.example.com:443"), ("llm.example.com?key=CANARY", "llm.example.com:443"),
            ("api.openai.#om", "api.openai.:443"), ("@", nil), ("llm.example.com", "llm.example.com:443"),
        ] {
            let body = """
                {"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[
                  {"key":"gen_ai.provider.name","value":{"stringValue":"openai"}},
                  {"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},
                  {"key":"server.address","value":{"stringValue":"\(address)"}},
                  {"key":"server.port","value":{"intValue":443}}],
                 "startTimeUnixNano":1764633600000000000,"endTimeUnixNano":1764633601000000000}]}]}]}
                """
            let call = try #require(try decode(Array(body.utf8), .json).calls.first)
            #expect(call.route.endpoint == endpoint, "\(address)")
        }
    }

    @Test(arguments: [
        (
            #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"x"}"#,
            "malformed JSON at byte 55: expected ',' or ']' in spans, found the end of the input"
        ),
        (#"[]"#, "not an OTLP trace export: expected an object for the export request, found an array at byte 0"),
        (
            #"{"resourceSpans":{}}"#,
            "not an OTLP trace export: resourceSpans must be an array, found an object at byte 17"
        ),
        (#"{"resourceSpans":[]} x"#, "malformed JSON at byte 21: unexpected data after the export request"),
        (
            #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"soon"}]}]}]}"#,
            "not an OTLP trace export: startTimeUnixNano must be a 64-bit integer"
        ),
        ("", "malformed JSON at byte 0: expected an object for the export request, found the end of the input"),
    ])
    func malformedJSONIsRefusedNamingTheByte(body: String, detail: String) {
        let error = rejection(Array(body.utf8), .json)
        #expect(error?.status == 400)
        #expect(error?.detail == detail)
    }

    // MARK: Random input

    func decodeAnyhow(_ body: [UInt8], _ encoding: OTLPEncoding) -> Bool {
        do {
            let batch = try decode(body, encoding)
            #expect(batch.calls.allSatisfy { $0.latencySeconds >= 0 && !$0.model.isEmpty })
            expectNoCanary(String(describing: batch))
            return true
        } catch {
            #expect(error.status == 400 || error.status == 413, "\(error)")
            expectNoCanary(error.detail)
            return false
        }
    }

    @Test func everyTruncationOfTheFixturesIsHandled() {
        // Every prefix of the protobuf body; every third of the (twice as long, slower to read) JSON body.
        for (body, encoding, step) in [(Self.protobufFixture, OTLPEncoding.protobuf, 1), (Self.jsonFixture, .json, 3)] {
            var refused = 0
            for end in stride(from: 0, to: body.count, by: step) where !decodeAnyhow(Array(body[..<end]), encoding) {
                refused += 1
            }
            #expect(refused > body.count / step / 2)
        }
    }

    @Test func randomBytesNeverCrash() {
        var generator = SeededGenerator(seed: 13)
        for _ in 0..<3_000 {
            let count = Int.random(in: 0...300, using: &generator)
            let body = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = decodeAnyhow(body, .protobuf)
            _ = decodeAnyhow(body, .json)
        }
    }

    @Test func mutatedExportsNeverCrash() {
        var generator = SeededGenerator(seed: 2_025_12_02)
        var accepted = 0
        for round in 0..<3_000 {
            let (seed, encoding) =
                round % 2 == 0 ? (Self.protobufFixture, OTLPEncoding.protobuf) : (Self.jsonFixture, .json)
            var body = seed
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let position = Int.random(in: 0..<body.count, using: &generator)
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: body[position] = UInt8.random(in: 0...255, using: &generator)
                case 1: body[position] ^= 1 << UInt8.random(in: 0...7, using: &generator)
                case 2: body.remove(at: position)
                default: body.insert(UInt8.random(in: 0...255, using: &generator), at: position)
                }
            }
            if decodeAnyhow(body, encoding) { accepted += 1 }
        }
        // Mutations inside passed-over fields keep the body valid: the accepting path is exercised too.
        #expect(accepted > 100)
    }

    @Test func deeplyNestedInputIsRefusedQuickly() {
        let groups = [UInt8](repeating: 0x1B, count: 100_000)
        #expect(rejection(groups, .protobuf)?.detail.contains("groups nested deeper than 32 levels") == true)
        let arrays = #"{"resourceSpans":[{"x":"# + String(repeating: "[", count: 100_000)
        #expect(rejection(Array(arrays.utf8), .json)?.detail.contains("nesting deeper than 64 levels") == true)
    }

    // MARK: Responses

    @Test func responsesFollowTheOTLPMessages() throws {
        #expect(OTLPResponse.export(rejectedSpans: 0, errorMessage: "x", encoding: .protobuf).isEmpty)
        #expect(OTLPResponse.export(rejectedSpans: 0, errorMessage: nil, encoding: .json) == Array("{}".utf8))
        let partial = OTLPResponse.export(rejectedSpans: 300, errorMessage: "span 4: \"why\"", encoding: .protobuf)
        var response = ProtobufReader(bytes: partial)
        let outer = try #require(try response.nextField())
        #expect(outer.number == 1 && outer.wireType == .lengthDelimited)
        var partialSuccess = response.message(in: try response.readLengthDelimited())
        #expect(try partialSuccess.nextField()?.number == 1)
        #expect(try partialSuccess.readVarint() == 300)
        #expect(try partialSuccess.nextField()?.number == 2)
        let message = try partialSuccess.readLengthDelimited()
        #expect(String(decoding: partial[message], as: UTF8.self) == "span 4: \"why\"")
        #expect(response.isAtEnd && partialSuccess.isAtEnd)
        let json = OTLPResponse.export(rejectedSpans: 2, errorMessage: "a \"b\"\n", encoding: .json)
        let expected = #"{"partialSuccess":{"rejectedSpans":"2","errorMessage":"a \"b\"\n"}}"#
        #expect(String(decoding: json, as: UTF8.self) == expected)
        let status = OTLPResponse.status(code: 3, message: "bad", encoding: .protobuf)
        #expect(status == [0x08, 0x03, 0x12, 0x03] + Array("bad".utf8))
    }

    @Test func contentTypesNameTheEncoding() {
        #expect(OTLPEncoding(contentType: "application/x-protobuf") == .protobuf)
        #expect(OTLPEncoding(contentType: "Application/JSON; charset=utf-8") == .json)
        #expect(OTLPEncoding(contentType: "text/plain") == nil)
        #expect(OTLPEncoding(contentType: nil) == nil)
    }

    // MARK: Building requests

    /// An export of one span with the given start and end (Unix ns), built by `build`.
    func request(
        start: UInt64 = 1_764_633_600_000_000_000, end: UInt64 = 1_764_633_601_000_000_000,
        unknowns: (inout ProtobufWriter) -> Void = { _ in }, build: (inout ProtobufWriter) -> Void
    ) -> [UInt8] {
        var request = ProtobufWriter()
        unknowns(&request)
        request.message(1) { resourceSpans in
            resourceSpans.message(1) { $0.message(1) { $0.string(1, "service.name") } }
            unknowns(&resourceSpans)
            resourceSpans.message(2) { scopeSpans in
                scopeSpans.message(1) { $0.string(1, "instrumentation") }
                unknowns(&scopeSpans)
                scopeSpans.message(2) { span in
                    span.bytes(1, [UInt8](repeating: 7, count: 16))
                    span.string(5, "chat")
                    span.varint(6, 3)
                    span.fixed64(7, start)
                    span.fixed64(8, end)
                    build(&span)
                }
            }
        }
        return request.bytes
    }
}

/// Writes protobuf wire format, for hand-built requests.
struct ProtobufWriter {
    var bytes: [UInt8] = []

    mutating func raw(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func varint(_ number: UInt64, _ value: UInt64) {
        raw(number << 3)
        raw(value)
    }

    mutating func fixed64(_ number: UInt64, _ value: UInt64) {
        raw(number << 3 | 1)
        for index in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))) }
    }

    mutating func fixed32(_ number: UInt64, _ value: UInt32) {
        raw(number << 3 | 5)
        for index in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt32(index)))) }
    }

    mutating func bytes(_ number: UInt64, _ value: [UInt8]) {
        raw(number << 3 | 2)
        raw(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func string(_ number: UInt64, _ value: String) { bytes(number, Array(value.utf8)) }

    mutating func message(_ number: UInt64, _ build: (inout ProtobufWriter) -> Void) {
        var inner = ProtobufWriter()
        build(&inner)
        bytes(number, inner.bytes)
    }

    mutating func group(_ number: UInt64, _ build: (inout ProtobufWriter) -> Void) {
        raw(number << 3 | 3)
        build(&self)
        raw(number << 3 | 4)
    }

    /// A KeyValue attribute (field 9 of a span, 1 of a resource) whose AnyValue `value` builds.
    mutating func attribute(
        _ key: String, _ unknowns: (inout ProtobufWriter) -> Void = { _ in },
        value: (inout ProtobufWriter) -> Void
    ) {
        message(9) { keyValue in
            keyValue.string(1, key)
            unknowns(&keyValue)
            keyValue.message(2) { anyValue in
                value(&anyValue)
                unknowns(&anyValue)
            }
        }
    }
}

private func contains(_ text: [UInt8], _ word: String) -> Bool {
    let needle = Array(word.utf8)
    guard text.count >= needle.count else { return false }
    return (0...(text.count - needle.count)).contains { text[$0..<($0 + needle.count)].elementsEqual(needle) }
}
