import HealthCore
import TestSupport
import Testing

@testable import OutcomeIngest

@Suite struct DecodeTests {
    @Test func decodesAJSONArray() throws {
        let body = "[" + outcome() + ", " + outcome(provider: "groq", model: "llama", success: false, latency: "1.5e0",
            extra: #","status_code":503,"error":"upstream down","timestamp":1749999990"#) + "]"
        let results = try decode(body, .jsonArray)
        #expect(results.count == 2)
        #expect(results[0] == ModelResult(
            provider: "openai", model: "gpt-4o-mini", success: true, latencySeconds: 0.25, source: .traffic,
            timestamp: testNow))
        #expect(results[1] == ModelResult(
            provider: "groq", model: "llama", success: false, reason: .http5xx, latencySeconds: 1.5, statusCode: 503,
            source: .traffic, timestamp: 1_749_999_990, error: "upstream down"))
    }

    @Test func decodesNDJSONSkippingBlankLines() throws {
        let body = "\n" + outcome() + "\r\n   \n\t" + outcome(model: "gpt-4o", latency: "0") + "\n\n"
        let results = try decode(body, .ndjson)
        #expect(results.map(\.model) == ["gpt-4o-mini", "gpt-4o"])
        #expect(results.allSatisfy { $0.source == .traffic && $0.timestamp == testNow })
        #expect(results[1].latencySeconds == 0)
    }

    @Test func emptyBatchesAreAccepted() throws {
        #expect(try decode("", .jsonArray).isEmpty)
        #expect(try decode(" [ ] \n", .jsonArray).isEmpty)
        #expect(try decode("", .ndjson).isEmpty)
        #expect(try decode("\n \r\n\n", .ndjson).isEmpty)
    }

    @Test func ignoresUnknownFieldsOfAnyShape() throws {
        let extra = #","request_id":"r-1","tokens":{"in":12,"out":[1,2,{"deep":[null,true,false,-1.5e-3]}]},"#
            + #""tags":[],"meta":{},"cost":1e-7,"note":"a \"quoted\" \\ thing""#
        let results = try decode("[" + outcome(extra: extra) + "]", .jsonArray)
        #expect(results.count == 1)
        #expect(results[0].provider == "openai")
    }

    @Test func nullOptionalFieldsAreAbsent() throws {
        let results = try decode(outcome(extra: #","status_code":null,"error":null,"timestamp":null"#), .ndjson)
        #expect(results[0].statusCode == nil)
        #expect(results[0].error == nil)
        #expect(results[0].timestamp == testNow)
    }

    @Test func timeToFirstTokenIsOptional() throws {
        let results = try decode(
            [
                outcome(extra: #","time_to_first_token_seconds":0.35"#), outcome(),
                outcome(extra: #","time_to_first_token_seconds":null"#),
            ].joined(separator: "\n"), .ndjson)
        #expect(results.map(\.timeToFirstTokenSeconds) == [0.35, nil, nil])
        for bad in ["-1", #""fast""#, "true"] {
            #expect(throws: IngestRejection.self) {
                try decode(outcome(extra: #","time_to_first_token_seconds":"# + bad), .ndjson)
            }
        }
    }

    @Test func acceptsRFC3339Timestamps() throws {
        // testNow is 2025-06-15T15:06:40Z.
        let cases: [(String, Double)] = [
            ("2025-06-15T15:06:40Z", testNow),
            ("2025-06-15T15:00:00.5Z", testNow - 399.5),
            ("2025-06-15T17:06:40+02:00", testNow),
            ("2025-06-15 10:06:40-05:00", testNow),
            ("2025-06-15t15:06:40z", testNow),
        ]
        for (text, expected) in cases {
            let results = try decode(outcome(extra: #","timestamp":"\#(text)""#), .ndjson)
            #expect(results[0].timestamp == expected, "\(text)")
        }
    }

    @Test func successWithAnErrorStatusStaysASuccessAndKeepsTheCode() throws {
        let results = try decode(outcome(extra: #","status_code":500"#), .ndjson)
        #expect(results[0].success)
        #expect(results[0].reason == nil)
        #expect(results[0].statusCode == 500)
    }

    @Test func statusZeroMeansNoResponse() throws {
        let results = try decode(outcome(success: false, extra: #","status_code":0,"error":"connection refused""#), .ndjson)
        #expect(results[0].statusCode == nil)
        #expect(results[0].reason == .connect)
    }

    @Test func derivesTheFailureReason() throws {
        let cases: [(String, FailureReason)] = [
            (#","status_code":401"#, .auth),
            (#","status_code":403,"error":"timed out""#, .auth),
            (#","status_code":429"#, .rateLimited),
            (#","status_code":402"#, .rateLimited),
            (#","status_code":404"#, .http4xx),
            (#","status_code":502"#, .http5xx),
            (#","status_code":200,"error":"read timeout""#, .timeout),
            (#","error":"Request Timed Out after 30s""#, .timeout),
            (#","error":"connect ECONNREFUSED 10.0.0.1:443""#, .connect),
            (#","error":"Connection refused""#, .connect),
            (#","error":"DNS lookup failed""#, .dns),
            (#","error":"could not resolve host: api.example.com""#, .dns),
            (#","error":"TLS handshake failed while connecting""#, .tls),
            (#","error":"SSL error""#, .tls),
            (#","error":"certificate has expired""#, .tls),
            (#","error":"Rate limit reached for requests""#, .rateLimited),
            (#","error":"rate_limit_exceeded""#, .rateLimited),
            (#","error":"upstream said 429""#, .rateLimited),
            (#","error":"context limit exceeded while trying to generate""#, .badResponse),
            (#","error":"something odd""#, .badResponse),
            ("", .badResponse),
        ]
        for (extra, reason) in cases {
            let results = try decode(outcome(success: false, extra: extra), .ndjson)
            #expect(results[0].reason == reason, "\(extra)")
        }
    }

    @Test func decodesEscapesAndUnicodeInNames() throws {
        let body = #"{"provider":"open\u0041I \"x\"","model":"mod\u00e9le-\ud83d\ude80-日本/\\\/\b\f\n\r\t","#
            + #""success":true,"latency_seconds":1}"#
        let results = try decode(body, .ndjson)
        #expect(results[0].provider == "openAI \"x\"")
        #expect(results[0].model == "modéle-🚀-日本/\\/\u{08}\u{0C}\n\r\t")
        let raw = try decode(outcome(provider: "prövider", model: "模型-🚀"), .ndjson)
        #expect(raw[0].provider == "prövider")
        #expect(raw[0].model == "模型-🚀")
    }

    @Test func escapedFieldNamesAreRecognised() throws {
        let body = #"{"\u0070rovider":"a","model":"b","success":false,"latency_\u0073econds":2}"#
        let results = try decode(body, .ndjson)
        #expect(results[0].provider == "a")
        #expect(results[0].latencySeconds == 2)
    }

    @Test func truncatesAndCleansErrorText() throws {
        let long = String(repeating: "é", count: 500)
        let results = try decode(outcome(success: false, extra: #","error":"\#(long)""#), .ndjson)
        #expect(results[0].error == String(repeating: "é", count: 200))
        let mixed = String(repeating: "a", count: 199) + "🚀🚀"
        let cut = try decode(outcome(success: false, extra: #","error":"\#(mixed)""#), .ndjson)
        #expect(cut[0].error == String(repeating: "a", count: 199) + "🚀")
        let multiLine = try decode(outcome(success: false, extra: #","error":"line one\nline\ttwo""#), .ndjson)
        #expect(multiLine[0].error == "line one line two")
        let empty = try decode(outcome(success: false, extra: #","error":"""#), .ndjson)
        #expect(empty[0].error == nil)
    }

    @Test func redactsKeyLookingWordsInErrorText() throws {
        let key = "sk-proj-abcdefghijklmnopqrstuvwxyz0123"
        let text = #"Incorrect API key provided: \#(key). Authorization: Bearer abcdefgh12345678"#
        let results = try decode(outcome(success: false, extra: #","error":"\#(text)""#), .ndjson)
        let error = try #require(results[0].error)
        #expect(!error.contains("abcdefghijklmnop"))
        #expect(!error.contains("abcdefgh12345678"))
        #expect(error.hasPrefix("Incorrect API key provided: <redacted>"))
    }

    @Test func acceptsAByteOrderMark() throws {
        let body = [0xEF, 0xBB, 0xBF] + Array(("[" + outcome() + "]").utf8)
        #expect(try decodeOutcomes(body, format: .jsonArray, limits: IngestLimits(), now: testNow).count == 1)
    }

    @Test func decodesNumbersExactly() throws {
        let cases: [(String, Double)] = [
            ("0", 0), ("-0", 0), ("0.1", 0.1), ("1.25", 1.25), ("12345.6789", 12345.6789), ("1e3", 1000),
            ("2.5E-3", 0.0025), ("1E+2", 100), ("0.000000000000000000000000001", 1e-27),
            ("123456789012345678901234567890", 123456789012345678901234567890.0),
            ("9007199254740993", 9007199254740993.0), ("1e-400", 0), ("0e99999999999999999999", 0),
        ]
        for (text, expected) in cases {
            let results = try decode(outcome(latency: text), .ndjson)
            #expect(results[0].latencySeconds == expected, "\(text)")
        }
    }

    @Test func fastNumberPathAgreesWithTheStandardLibrary() throws {
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<5_000 {
            let digits = String(UInt64.random(in: 0...999_999_999_999_999, using: &generator))
            let point = Int.random(in: 0...digits.count, using: &generator)
            var text = String(digits.prefix(point))
            if text.isEmpty { text = "0" }
            if point < digits.count { text += "." + digits.dropFirst(point) }
            if Bool.random(using: &generator) { text += "e\(Int.random(in: -25...25, using: &generator))" }
            var scanner = JSONScanner(bytes: Array(text.utf8), position: 0, end: text.utf8.count)
            let value = try scanner.scanNumber(converting: true)
            #expect(value == Double(text), "\(text)")
            #expect(scanner.isAtEnd)
        }
    }

    @Test func decodesAHundredThousandOutcomes() throws {
        let lines = (0..<100_000).map { i in
            outcome(provider: "p\(i % 5)", model: "m\(i % 37)", success: i % 3 != 0, latency: "0.\(i % 1000)",
                extra: #","status_code":\#(i % 3 == 0 ? 503 : 200),"timestamp":\#(Int(testNow) - i % 3000)"#)
        }
        var limits = IngestLimits()
        limits.maxBatchSize = 100_000
        limits.maxBodyBytes = 64 << 20
        let ndjson = try decode(lines.joined(separator: "\n"), .ndjson, limits: limits)
        #expect(ndjson.count == 100_000)
        #expect(ndjson.filter { !$0.success }.count == 33_334)
        #expect(ndjson[99_999].model == "m\(99_999 % 37)")
        let array = try decode("[" + lines.joined(separator: ",") + "]", .jsonArray, limits: limits)
        #expect(array == ndjson)
    }
}
