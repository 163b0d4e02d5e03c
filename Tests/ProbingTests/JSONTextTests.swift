import Foundation
import Testing

@testable import Probing

/// `JSONText` reads what `JSONSerialization` reads, into the same shapes, and writes request bodies byte for
/// byte as it did.
@Suite struct JSONTextTests {
    static let accepted = [
        #"{"data":[{"id":"gpt-4o"},{"id":"o3-mini","object":"model"}],"has_more":false}"#,
        #"[{"error":{"code":429,"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"37s"}]}}]"#,
        #"{"error":"bad key \"x\" \u00e9\ud83d\ude00 \/ \\ \n"}"#, "\u{FEFF}{\"a\":1}",
        #"  "fragment"  "#, "17",
        "-0.5e+3", "1E2", "true", "null", #"{"limit":null,"limit_remaining":12.5,"usage":0}"#,
        "[[],{},[[1]]]",
    ]
    static let refused = [
        "", " ", "{", "[1,]", #"{"a":1,}"#, "01", "1.", ".5", "-", "1e", "tru", "nul", #""\x""#,
        "\"a\u{01}\"",
        #""\ud800""#, "{\"a\" 1}", "[1 2]", "{} x", "'a'", "NaN", "+1", #"{"a":}"#,
    ]

    @Test func acceptsWhatJSONSerializationAcceptsInTheSameShapes() throws {
        for text in Self.accepted {
            let bytes = Array(text.utf8)
            let foundation = try JSONSerialization.jsonObject(
                with: Data(bytes), options: [.fragmentsAllowed])
            let parsed = try #require(JSONText.parse(bytes), "\(text)")
            #expect(Self.same(parsed, foundation), "\(text)")
        }
    }

    @Test func refusesWhatIsNotJSON() {
        for text in Self.refused {
            #expect(JSONText.parse(Array(text.utf8)) == nil, "\(text)")
        }
        #expect(JSONText.parse([0x22, 0xFF, 0x22]) == nil, "invalid UTF-8 in a string")
        let deep = Array(repeating: UInt8(ascii: "["), count: 100_000)
        #expect(
            JSONText.parse(deep) == nil, "nesting deeper than the limit is refused, not a stack overflow")
    }

    @Test func encodesRequestBodiesAsJSONSerializationDid() throws {
        let payloads: [[String: Any]] = [
            [
                "max_completion_tokens": 16, "messages": [["role": "user", "content": "ping"]],
                "model": "o3/mini",
            ],
            ["model": "llama3", "prompt": "ping", "stream": false, "options": ["num_predict": 16]],
            [
                "contents": [["role": "user", "parts": [["text": "q\"\\\n\t\u{01}é"]]]],
                "generationConfig": ["maxOutputTokens": 1],
            ],
        ]
        for payload in payloads {
            let foundation = try JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys])
            #expect(JSONText.encode(payload) == [UInt8](foundation))
        }
    }

    /// Equal as JSON values: numbers compared as Doubles, `null` to `NSNull`.
    static func same(_ a: Any, _ b: Any) -> Bool {
        switch (a, b) {
        case (let a as [String: Any], let b as [String: Any]):
            return a.count == b.count
                && a.allSatisfy { key, value in b[key].map { same(value, $0) } ?? false }
        case (let a as [Any], let b as [Any]):
            return a.count == b.count && zip(a, b).allSatisfy { same($0, $1) }
        case (let a as String, let b as String): return a == b
        case (is JSONText.Null, is NSNull): return true
        case (let a as Bool, let b as NSNumber): return a == b.boolValue
        case (let a as Double, let b as NSNumber): return a == b.doubleValue
        default: return false
        }
    }
}
