import HealthCore
import Testing

@testable import OutcomeIngest

@Suite struct RejectionTests {
    /// Checks status and reason, and that the detail holds every fragment.
    func expectRejection(
        _ got: IngestRejection?, status: Int, reason: String, mentioning fragments: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let got else {
            Issue.record("accepted, expected \(status) \(reason)", sourceLocation: sourceLocation)
            return
        }
        #expect(got.status == status, "\(got)", sourceLocation: sourceLocation)
        #expect(got.reason == reason, "\(got)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(got.detail.contains(fragment), "\(got.detail) lacks \(fragment)", sourceLocation: sourceLocation)
        }
    }

    @Test func malformedJSONInAnArrayNamesTheIndexAndByte() {
        let body = "[" + outcome() + "," + #"{"provider":"a" "model":"b"}"# + "]"
        expectRejection(
            rejection(body, .jsonArray), status: 400, reason: "malformed",
            mentioning: ["index 1:", "malformed JSON at byte", "expected ','"])
        expectRejection(
            rejection("[" + outcome() + " " + outcome() + "]", .jsonArray), status: 400, reason: "malformed",
            mentioning: ["index 0:", "expected ',' or ']'"])
        expectRejection(
            rejection(#"{"provider":"a"}"#, .jsonArray), status: 400, reason: "malformed",
            mentioning: ["byte 0", "expected '['"])
        expectRejection(
            rejection("[" + outcome() + "] []", .jsonArray), status: 400, reason: "malformed",
            mentioning: ["unexpected data after the array"])
        expectRejection(
            rejection("[" + outcome() + ",]", .jsonArray), status: 400, reason: "malformed", mentioning: ["index 1:"])
    }

    @Test func badNDJSONLineIsNamedByItsNumber() {
        let body = outcome() + "\n\n" + #"{"provider":"a","model":"b","success":tru}"# + "\n" + outcome()
        expectRejection(
            rejection(body, .ndjson), status: 400, reason: "malformed",
            mentioning: ["line 3:", "column 39", "invalid literal"])
        expectRejection(
            rejection(outcome() + " " + outcome(), .ndjson), status: 400, reason: "malformed",
            mentioning: ["line 1:", "unexpected data after the outcome object"])
        expectRejection(
            rejection(outcome() + "\n[" + outcome() + "]", .ndjson), status: 400, reason: "invalid",
            mentioning: ["line 2:", "expected an outcome object, found an array"])
        expectRejection(
            rejection(outcome() + "\nNaN", .ndjson), status: 400, reason: "malformed", mentioning: ["line 2:"])
        // One object per line: an object may not continue on the next line.
        expectRejection(
            rejection(#"{"provider":"a","# + "\n" + #""model":"b","success":true,"latency_seconds":1}"#, .ndjson),
            status: 400, reason: "malformed", mentioning: ["line 1:", "found the end of the line"])
    }

    @Test func missingFieldIsNamed() {
        for field in ["provider", "model", "success", "latency_seconds"] {
            let body = outcome().replacingOccurrences(field: field)
            expectRejection(
                rejection("[" + outcome() + "," + body + "]", .jsonArray), status: 400, reason: "invalid",
                mentioning: ["index 1:", #"missing required field "\#(field)""#])
        }
        expectRejection(rejection("{}", .ndjson), status: 400, reason: "invalid", mentioning: ["line 1:", "missing"])
    }

    @Test func wrongTypesAreNamed() {
        let cases: [(String, String)] = [
            (#"{"provider":1,"model":"m","success":true,"latency_seconds":1}"#, "provider must be a string, found a number"),
            (#"{"provider":"p","model":null,"success":true,"latency_seconds":1}"#, "model must be a string, found null"),
            (#"{"provider":"p","model":"m","success":"yes","latency_seconds":1}"#, "success must be true or false, found a string"),
            (#"{"provider":"p","model":"m","success":1,"latency_seconds":1}"#, "success must be true or false"),
            (#"{"provider":"p","model":"m","success":true,"latency_seconds":"1"}"#, "latency_seconds must be a number >= 0"),
            (outcome(extra: #","status_code":"200""#), "status_code must be an integer HTTP status or null"),
            (outcome(extra: #","status_code":200.5"#), "status_code must be an HTTP status"),
            (outcome(extra: #","status_code":99"#), "status_code must be an HTTP status"),
            (outcome(extra: #","status_code":1e300"#), "status_code must be an HTTP status"),
            (outcome(extra: #","error":{"message":"x"}"#), "error must be a string or null, found an object"),
            (outcome(extra: #","timestamp":true"#), "timestamp must be Unix seconds"),
            (outcome(provider: ""), "provider must not be empty"),
            (outcome(model: String(repeating: "m", count: 257)), "model is longer than 256 bytes"),
        ]
        for (line, message) in cases {
            expectRejection(
                rejection(outcome() + "\n" + line, .ndjson), status: 400, reason: "invalid",
                mentioning: ["line 2: ", message])
        }
    }

    @Test func negativeOrInfiniteLatencyIsInvalid() {
        for latency in ["-0.5", "-1e-9", "1e400", "-1e400"] {
            expectRejection(
                rejection(outcome(latency: latency) + "\n", .ndjson), status: 400, reason: "invalid",
                mentioning: ["line 1: latency_seconds must be a number >= 0"])
        }
    }

    @Test func duplicateKnownFieldsAreInvalid() {
        expectRejection(
            rejection(outcome(extra: #","success":false"#), .ndjson), status: 400, reason: "invalid",
            mentioning: [#"line 1: duplicate field "success""#])
        // Unknown fields may repeat: they are not read.
        #expect(rejection(outcome(extra: #","x":1,"x":2"#), .ndjson) == nil)
    }

    @Test func timestampsOutsideTheWindowAreInvalid() {
        let cases: [(String, String)] = [
            (#""timestamp":\#(Int(testNow) + 301)"#, "more than 5 min in the future"),
            (#""timestamp":\#(Int(testNow) - 3601)"#, "more than 1 h old"),
            (#""timestamp":1e300"#, "more than 5 min in the future"),
            (#""timestamp":-1"#, "more than 1 h old"),
            (#""timestamp":1e999"#, "timestamp must be a finite number"),
            (#""timestamp":"2025-06-15T15:06:40""#, "RFC 3339"),
            (#""timestamp":"2025-02-30T15:06:40Z""#, "RFC 3339"),
            (#""timestamp":"yesterday""#, "RFC 3339"),
            (#""timestamp":"2025-06-15T14:00:00Z""#, "more than 1 h old"),
        ]
        for (field, message) in cases {
            expectRejection(
                rejection("[" + outcome(extra: "," + field) + "]", .jsonArray), status: 400, reason: "invalid",
                mentioning: ["index 0: ", message])
        }
        #expect(rejection(outcome(extra: #","timestamp":\#(Int(testNow) + 300)"#), .ndjson) == nil)
        #expect(rejection(outcome(extra: #","timestamp":\#(Int(testNow) - 3600)"#), .ndjson) == nil)
    }

    @Test func bodyOverTheLimitIs413() {
        var limits = IngestLimits()
        limits.maxBodyBytes = 100
        let body = "[" + outcome() + "," + outcome() + "]"
        expectRejection(
            rejection(body, .jsonArray, limits: limits), status: 413, reason: "body_too_large",
            mentioning: ["\(body.utf8.count) bytes", "limit is 100 bytes"])
    }

    @Test func batchOverTheLimitIs413NamingTheLimit() {
        var limits = IngestLimits()
        limits.maxBatchSize = 3
        let four = Array(repeating: outcome(), count: 4)
        expectRejection(
            rejection(four.joined(separator: "\n"), .ndjson, limits: limits), status: 413, reason: "batch_too_large",
            mentioning: ["more than 3 outcomes"])
        expectRejection(
            rejection("[" + four.joined(separator: ",") + "]", .jsonArray, limits: limits), status: 413,
            reason: "batch_too_large", mentioning: ["3"])
        #expect(rejection(four.dropLast().joined(separator: "\n"), .ndjson, limits: limits) == nil)
    }

    @Test func invalidUTF8AndControlCharactersAreMalformed() {
        let prefix = Array(#"{"provider":""#.utf8)
        let suffix = Array(#"","model":"m","success":true,"latency_seconds":1}"#.utf8)
        let badSequences: [[UInt8]] = [
            [0xFF], [0xC0, 0x80], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC3],
            [0xE2, 0x82], [0x80], [0x01],
        ]
        for bad in badSequences {
            expectRejection(
                rejection(prefix + bad + suffix, .ndjson), status: 400, reason: "malformed", mentioning: ["line 1:"])
        }
        for escape in [#"\ud800"#, #"\udc00"#, #"\ud800\u0041"#, #"\x41"#, #"\u12G4"#, #"\u12"#] {
            expectRejection(
                rejection(Array(#"{"provider":"\#(escape)"#.utf8) + suffix, .ndjson), status: 400,
                reason: "malformed", mentioning: ["line 1:"])
        }
    }

    @Test func deepNestingIsRefusedWithoutExhaustingTheStack() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        expectRejection(
            rejection(outcome(extra: #","x":\#(deep)"#), .ndjson), status: 400, reason: "malformed",
            mentioning: ["nesting deeper than 64 levels"])
        let fine = String(repeating: "[", count: 60) + String(repeating: "]", count: 60)
        #expect(rejection(outcome(extra: #","x":\#(fine)"#), .ndjson) == nil)
        expectRejection(
            rejection(String(repeating: "[", count: 100_000), .jsonArray), status: 400, reason: "invalid",
            mentioning: ["index 0:", "found an array"])
    }

    @Test func truncatedInputIsMalformedAtEveryCut() {
        let body = "[" + outcome(extra: #","error":"x\u00e9\"","timestamp":"2025-06-15T15:00:00Z","n":[1,{"a":null}]"#)
            + "]"
        let bytes = Array(body.utf8)
        #expect(rejection(bytes, .jsonArray) == nil)
        for cut in 1..<bytes.count {
            let got = rejection(Array(bytes[..<cut]), .jsonArray)
            #expect(got?.status == 400, "cut at \(cut)")
        }
    }

    @Test func rejectionsDescribeThemselves() {
        let got = IngestRejection.unknownProvider("evil\nprovider")
        #expect(got.description == #"422 unknown_provider: unknown provider "evil?provider": not configured"#)
        #expect(IngestRejection.unauthorized().status == 401)
        #expect(IngestRejection.reasons.count == 7)
    }
}

extension String {
    /// This outcome object without `field` (and its value): the fixtures keep every field a simple token.
    fileprivate func replacingOccurrences(field: String) -> String {
        let parts = self.dropFirst().dropLast().split(separator: ",")
        return "{" + parts.filter { !$0.hasPrefix("\"\(field)\"") }.joined(separator: ",") + "}"
    }
}
