import TestSupport
import Testing

@testable import OutcomeIngest

/// `skipValueByStructure` passes over what a strict skip passes over, and refuses what breaks the structure.
@Suite struct StructuralSkipTests {
    /// Where the skip stopped, nil when it refused the input.
    func skip(_ text: String, strict: Bool, ndjson: Bool = false) -> Int? {
        let bytes = Array(text.utf8)
        var scanner = JSONScanner(bytes: bytes, position: 0, end: bytes.count, newlineEndsValue: ndjson)
        do throws(ScanFailure) {
            if strict { try scanner.skipValue(depth: 1) } else { try scanner.skipValueByStructure() }
            return scanner.position
        } catch {
            return nil
        }
    }

    /// A random JSON value with long and short strings, escapes and non-ASCII text, as a gateway's payload has.
    func randomValue(_ generator: inout SeededGenerator, depth: Int = 0) -> String {
        switch Int.random(in: 0...(depth > 6 ? 3 : 6), using: &generator) {
        case 0: return ["true", "false", "null", "0", "-1.5e3", "42"].randomElement(using: &generator)!
        case 1, 2, 3:
            let pieces = ["a", "Zürich", #"\""#, #"\\"#, #"\n"#, #"\u00e9"#, "[{", "}]", " ", "prompt text ", "\u{1F600}"]
            let count = Int.random(in: 0...40, using: &generator)
            return "\"" + (0..<count).map { _ in pieces.randomElement(using: &generator)! }.joined() + "\""
        case 4:
            let count = Int.random(in: 0...5, using: &generator)
            return "[" + (0..<count).map { _ in randomValue(&generator, depth: depth + 1) }.joined(separator: ", ") + "]"
        default:
            let count = Int.random(in: 0...5, using: &generator)
            return "{" + (0..<count).map { i in "\"k\(i)\": " + randomValue(&generator, depth: depth + 1) }
                .joined(separator: ",") + "}"
        }
    }

    @Test func endsWhereTheStrictSkipEndsOnValidJSON() {
        var generator = SeededGenerator(seed: 11)
        for _ in 0..<3_000 {
            let text = randomValue(&generator) + " ,\"next\": 1"
            guard let end = skip(text, strict: true) else {
                Issue.record("the generator made invalid JSON: \(text)")
                continue
            }
            #expect(skip(text, strict: false) == end, "\(text)")
        }
    }

    @Test func refusesWhatBreaksTheStructure() {
        let broken = [
            #"{"a": [1, 2}"#, #"[{"a": 1]]"#, #"{"a": "unterminated}"#, #"{"a": 1"#, "[[[", "{\"a\": \"line\nbreak\"}",
            #"{"a": "ends in an escape\"#, String(repeating: "[", count: 65) + String(repeating: "]", count: 65), "}",
        ]
        for text in broken {
            #expect(skip(text, strict: false) == nil, "accepted: \(text)")
        }
        // NDJSON: a value does not run over lines.
        #expect(skip("{\"a\":\n1}", strict: false, ndjson: true) == nil)
        #expect(skip("{\"a\":\n1}", strict: false) == 8)
        #expect(skip(String(repeating: "[", count: 64) + String(repeating: "]", count: 64), strict: false) == 128)
    }

    @Test func randomBytesNeverCrashIt() {
        var generator = SeededGenerator(seed: 12)
        let alphabet = Array(#"{}[]"\ ,:a1"#.utf8) + [0x0A, 0x00, 0xC3, 0xFF]
        for _ in 0..<5_000 {
            let count = Int.random(in: 1...64, using: &generator)
            let bytes = (0..<count).map { _ in alphabet.randomElement(using: &generator)! }
            var scanner = JSONScanner(bytes: bytes, position: 0, end: bytes.count)
            do throws(ScanFailure) {
                try scanner.skipValueByStructure()
                #expect(scanner.position <= bytes.count)
            } catch {}
        }
    }
}
