import Foundation
import TestSupport
import Testing

@testable import HealthCore

/// The Foundation-free timestamp and trimming helpers write exactly what Foundation's formatter and
/// `trimmingCharacters(in:)` did before them.
@Suite struct FoundationFreeTextTests {
    @Test func utcTimestampsMatchISO8601DateFormatter() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        var random = SeededGenerator(seed: 12)
        // Whole milliseconds (what the product formats) from 1970 to 2200, leap days and year ends included.
        var instants: [Double] = [
            0, 951_782_400, 951_868_799.999, 1_709_164_800, 4_102_444_799.5, 1_700_000_000.123,
        ]
        for _ in 0..<2_000 {
            instants.append(Double(Int64.random(in: 0...7_258_118_400_000, using: &random)) / 1000)
        }
        for instant in instants {
            let date = Date(timeIntervalSince1970: instant)
            let utc = UTCTimestamp(unixSeconds: instant)
            #expect(utc.rfc3339(milliseconds: false) == plain.string(from: date), "\(instant)")
            #expect(utc.rfc3339(milliseconds: true) == formatter.string(from: date), "\(instant)")
        }
        #expect(UTCTimestamp(unixSeconds: 1_714_564_830).basicFormat == "20240501T120030Z")
    }

    @Test func trimmingMatchesFoundationCharacterSets() {
        let samples = [
            "", " ", "\t x \t", " \n x\r\n ", "\u{00A0}x\u{2003}", "\u{2028}x\u{2029}",
            "\u{85}x\u{0B}\u{0C}",
            "a b", "  é  ", "\u{200B}x\u{200B}", "x\n", "\n\n", " \t\u{3000}", "\u{180E}x\u{FEFF}",
        ]
        for sample in samples {
            #expect(
                sample.trimmingWhitespace() == sample.trimmingCharacters(in: .whitespaces),
                "\(sample.debugDescription)")
            #expect(
                sample.trimmingWhitespaceAndNewlines()
                    == sample.trimmingCharacters(in: .whitespacesAndNewlines),
                "\(sample.debugDescription)")
            #expect(
                sample.dropFirst(0).trimmingWhitespace() == sample.trimmingCharacters(in: .whitespaces))
        }
    }

    @Test func replacingMatchesFoundationOnTheTextTheProductEscapes() {
        let samples: [(String, String, String)] = [
            ("a\r\nb\nc", "\n", "\\n"), ("say \"hi\"", "\"", "\\\""), ("back\\slash", "\\", "\\\\"),
            ("1_000_000", "_", ""), ("rate_limited", "_", " "), ("sk-abc sk-abcsk-abc", "sk-abc", "<secret>"),
            ("ünï_cødé_", "_", "-"), ("", "x", "y"), ("xxx", "xx", "y"),
        ]
        for (text, target, replacement) in samples {
            #expect(
                text.replacingEvery(target, with: replacement)
                    == text.replacingOccurrences(of: target, with: replacement), "\(text.debugDescription)")
        }
    }
}
