import HealthCore
import TestSupport
import Testing

@testable import OutcomeIngest

/// Random and mutated bodies: every one must be either accepted or refused with a 4xx, never crash.
@Suite struct FuzzTests {
    static let seeds: [String] = [
        "[" + outcome() + "," + outcome(success: false, extra: #","status_code":429,"error":"rate limit \u00e9 \ud83d\ude80""#)
            + "]",
        outcome(extra: #","timestamp":"2025-06-15T15:00:00.125+00:00","meta":{"a":[1,2.5e-3,-0,true,false,null,"\"\\"]}"#)
            + "\n\n" + outcome(latency: "12345678901234567890.5e-10"),
        #"{"provider":"p","model":"m","success":false,"latency_seconds":0,"status_code":null,"error":null}"#,
    ]

    /// Interesting bytes to splice in: structure, escapes, UTF-8 lead and continuation bytes.
    static let alphabet: [UInt8] = Array(#"{}[]:,"\/ubfnrt0123456789.eE+-ntrufalse"#.utf8)
        + [0x00, 0x0A, 0x0D, 0x20, 0x7F, 0x80, 0xBF, 0xC0, 0xC3, 0xE0, 0xED, 0xF0, 0xF4, 0xFF]

    func mutate(_ input: [UInt8], using generator: inout SeededGenerator) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &generator)
            let byte = Self.alphabet.randomElement(using: &generator)!
            switch Int.random(in: 0..<5, using: &generator) {
            case 0 where !bytes.isEmpty: bytes[position] = byte
            case 1: bytes.insert(byte, at: position)
            case 2 where !bytes.isEmpty: bytes.remove(at: position)
            case 3 where !bytes.isEmpty: bytes = Array(bytes[..<position])
            default:
                let start = Int.random(in: 0...bytes.count, using: &generator)
                let end = Int.random(in: start...bytes.count, using: &generator)
                bytes.insert(contentsOf: bytes[start..<end], at: position)
            }
        }
        return bytes
    }

    func decodeAnyhow(_ body: [UInt8], _ format: OutcomeFormat) -> Bool {
        do {
            let results = try decodeOutcomes(body, format: format, limits: IngestLimits(), now: testNow)
            #expect(results.allSatisfy { $0.source == .traffic && $0.latencySeconds >= 0 })
            return true
        } catch {
            #expect((400..<500).contains(error.status), "\(error)")
            #expect(IngestRejection.reasons.contains(error.reason))
            return false
        }
    }

    @Test func mutatedBodiesNeverCrash() {
        var generator = SeededGenerator(seed: 20_250_615)
        var accepted = 0
        for round in 0..<3_000 {
            let seed = Array(Self.seeds[round % Self.seeds.count].utf8)
            let body = mutate(seed, using: &generator)
            if decodeAnyhow(body, .jsonArray) { accepted += 1 }
            if decodeAnyhow(body, .ndjson) { accepted += 1 }
        }
        // Some mutations (inside unknown fields, white space) keep the body valid: the accepting path is exercised too.
        #expect(accepted > 0)
    }

    @Test func randomBytesNeverCrash() {
        var generator = SeededGenerator(seed: 42)
        for _ in 0..<2_000 {
            let count = Int.random(in: 0...200, using: &generator)
            let body = (0..<count).map { _ in
                Bool.random(using: &generator)
                    ? Self.alphabet.randomElement(using: &generator)! : UInt8.random(in: 0...255, using: &generator)
            }
            _ = decodeAnyhow(body, .jsonArray)
            _ = decodeAnyhow(body, .ndjson)
        }
    }

    @Test func hostileShapesAreRefusedQuickly() throws {
        let hugeNumber = String(repeating: "9", count: 200_000)
        let bodies: [String] = [
            outcome(latency: hugeNumber),
            outcome(latency: "1e" + hugeNumber),
            outcome(latency: "0." + String(repeating: "0", count: 200_000) + "1"),
            outcome(extra: #","x":""# + String(repeating: #"\u00e9"#, count: 50_000) + #"""#),
            outcome(extra: String(repeating: #","x":{"a":[]}"#, count: 20_000)),
            String(repeating: "{", count: 200_000),
            String(repeating: #"{"a":"#, count: 100_000),
            "[" + String(repeating: "[", count: 200_000),
            outcome(extra: #","error":""# + String(repeating: "a", count: 300_000) + #"""#),
        ]
        for body in bodies {
            _ = decodeAnyhow(Array(body.utf8), .jsonArray)
            _ = decodeAnyhow(Array(body.utf8), .ndjson)
        }
        #expect(rejection(outcome(latency: hugeNumber), .ndjson)?.reason == "invalid")
        #expect(try decode(outcome(latency: "0." + String(repeating: "0", count: 200_000) + "1"), .ndjson).count == 1)
    }
}
