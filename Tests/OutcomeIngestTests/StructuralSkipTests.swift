import JSONStructure
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

/// `json_skip_container` at every instruction-set level this machine has, against a byte-at-a-time walk of the same
/// rules: same stop, same problem, for random values and random bytes of every length around the 64-byte blocks.
@Suite struct StructureLevelsTests {
    /// The byte-at-a-time walk: where it stops, and why.
    func referenceSkip(_ bytes: [UInt8], newlineEndsValue: Bool) -> (Int, json_skip_problem) {
        var kinds: UInt64 = 0
        var depth = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard depth < 64 else { return (index, json_skip_too_deep) }
                kinds = kinds << 1 | (byte == UInt8(ascii: "{") ? 1 : 0)
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard depth > 0, (kinds & 1 == 1) == (byte == UInt8(ascii: "}")) else {
                    return (index, json_skip_mismatched_bracket)
                }
                kinds >>= 1
                depth -= 1
                if depth == 0 { return (index + 1, json_skip_ok) }
            case UInt8(ascii: "\""):
                index += 1
                while true {
                    guard index < bytes.count else { return (bytes.count, json_skip_unterminated_string) }
                    let inner = bytes[index]
                    if inner == UInt8(ascii: "\"") { break }
                    if inner < 0x20 { return (index, json_skip_control_character) }
                    if inner == UInt8(ascii: "\\") {
                        // The escaped byte is not checked as an escape, but a raw control character is refused.
                        index += 1
                        guard index < bytes.count else { return (bytes.count, json_skip_unterminated_string) }
                        if bytes[index] < 0x20 { return (index, json_skip_control_character) }
                    }
                    index += 1
                }
                if index >= bytes.count { return (bytes.count, json_skip_unterminated_string) }
            case 0x0A where newlineEndsValue:
                return (index, json_skip_line_ends_value)
            case UInt8(ascii: "\\"):
                return (index, json_skip_stray_backslash)
            default:
                break
            }
            index += 1
        }
        return (bytes.count, json_skip_unterminated_value)
    }

    func skip(_ bytes: [UInt8], level: Int32, newlineEndsValue: Bool) -> (Int, json_skip_problem) {
        let result = bytes.withUnsafeBufferPointer {
            json_skip_container_at_level($0.baseAddress!, 0, $0.count, newlineEndsValue ? 1 : 0, 64, level)
        }
        return (result.position, result.problem)
    }

    var levels: ClosedRange<Int32> { 0...json_structure_best_level() }

    @Test func everyLevelAgreesWithTheByteWalkOnRandomBytes() {
        var generator = SeededGenerator(seed: 21)
        // Runs of backslashes and quotes across block edges are where a block-wise walk can go wrong.
        let pieces: [[UInt8]] = [
            Array(#"{"#.utf8), Array(#"}"#.utf8), Array("[".utf8), Array("]".utf8), Array(#"""#.utf8),
            Array(#"\\"#.utf8), Array(#"\""#.utf8), Array(#"\\\"#.utf8), Array("abcdefgh".utf8),
            Array(String(repeating: "x", count: 61).utf8), [0x0A], [0x09], [0x01], [0xC3, 0xA9], [0xFF], Array(" ".utf8),
        ]
        for round in 0..<20_000 {
            var bytes: [UInt8] = round % 2 == 0 ? Array("{".utf8) : Array("[".utf8)
            let count = Int.random(in: 0...60, using: &generator)
            for _ in 0..<count { bytes += pieces.randomElement(using: &generator)! }
            // Close what is open now and then, so that many inputs end well.
            if round % 3 == 0 { bytes += round % 2 == 0 ? Array("}".utf8) : Array("]".utf8) }
            let ndjson = round % 5 == 0
            let expected = referenceSkip(bytes, newlineEndsValue: ndjson)
            for level in levels {
                let got = skip(bytes, level: level, newlineEndsValue: ndjson)
                guard got == expected else {
                    Issue.record("level \(level): \(got) instead of \(expected) for \(bytes)")
                    return
                }
            }
        }
    }

    @Test func everyLevelEndsLongValidValuesWhereTheStrictSkipEnds() throws {
        var generator = SeededGenerator(seed: 22)
        let skipTests = StructuralSkipTests()
        for _ in 0..<2_000 {
            var text = "["
            for index in 0..<Int.random(in: 1...12, using: &generator) {
                text += (index > 0 ? "," : "") + skipTests.randomValue(&generator)
            }
            text += "]"
            let bytes = Array((text + " ,\"next\": 1").utf8)
            var strict = JSONScanner(bytes: bytes, position: 0, end: bytes.count)
            try strict.skipValue(depth: 1)
            for level in levels {
                #expect(skip(bytes, level: level, newlineEndsValue: false) == (strict.position, json_skip_ok))
            }
        }
    }

    @Test func plainRunsEndAtTheFirstSpecialByteAtEveryLevel() {
        var generator = SeededGenerator(seed: 23)
        let special: [UInt8] = [0x22, 0x5C, 0x00, 0x1F, 0x0A, 0x80, 0xC3, 0xFF]
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...200, using: &generator)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0x20...0x7E, using: &generator) }
                .map { $0 == 0x22 || $0 == 0x5C ? UInt8(ascii: "a") : $0 }
            // None, one or a few special bytes, anywhere: before, at and after the 16-, 32- and 64-byte edges.
            for _ in 0..<Int.random(in: 0...2, using: &generator) where count > 0 {
                bytes[Int.random(in: 0..<count, using: &generator)] = special.randomElement(using: &generator)!
            }
            let start = count == 0 ? 0 : Int.random(in: 0...count, using: &generator)
            let end = Int.random(in: start...count, using: &generator)
            let expected = bytes[start..<end].firstIndex { special.contains($0) || $0 < 0x20 || $0 >= 0x80 } ?? end
            for level in levels {
                // A copy of exactly `end` bytes: a read past it would be a read past the allocation.
                let exact = Array(bytes[..<end])
                let got = exact.withUnsafeBufferPointer { json_plain_run_end_at_level($0.baseAddress, start, end, level) }
                #expect(got == expected, "level \(level): \(bytes[start..<end])")
            }
        }
    }

    @Test func nestingIsCappedAtSixtyFourAtEveryLevel() {
        let deepest = Array((String(repeating: "[", count: 64) + String(repeating: "]", count: 64)).utf8)
        let tooDeep = Array((String(repeating: "{\"a\":", count: 65) + "1" + String(repeating: "}", count: 65)).utf8)
        for level in levels {
            #expect(skip(deepest, level: level, newlineEndsValue: false) == (128, json_skip_ok))
            #expect(skip(tooDeep, level: level, newlineEndsValue: false).1 == json_skip_too_deep)
        }
    }
}
