#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Parses Prometheus-style durations: "500ms", "30s", "5m", "1h", "1m30s", "2d". Plain numbers are seconds.
/// Nil for anything else, and for a duration too long to be a finite number of seconds.
public func parseDuration(_ text: String) -> Double? {
    let s = text.trimmingWhitespace()
    guard !s.isEmpty else { return nil }
    if let plain = Double(s), plain.isFinite, plain >= 0 { return plain }
    let units: [(String, Double)] = [
        ("ms", 0.001), ("us", 0.000_001), ("µs", 0.000_001), ("ns", 1e-9),
        ("s", 1), ("m", 60), ("h", 3600), ("d", 86400), ("w", 604_800), ("y", 31_536_000),
    ]
    var total = 0.0
    var rest = Substring(s)
    while !rest.isEmpty {
        let digits = rest.prefix { $0.isNumber || $0 == "." }
        guard !digits.isEmpty, let value = Double(digits) else { return nil }
        rest = rest.dropFirst(digits.count)
        guard let unit = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
        total += value * unit.1
        rest = rest.dropFirst(unit.0.count)
    }
    // Hundreds of digits overflow to infinity, which no timer can wait for.
    return total.isFinite ? total : nil
}

/// Formats seconds the way Prometheus would write them: "30s", "1m30s", "500ms".
/// Beyond a whole number of seconds an `Int` holds (or not finite), the number of seconds as Swift prints it.
public func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, abs(seconds) < 9e18 else { return "\(seconds)s" }
    if seconds < 1 && seconds > 0 { return "\(Int((seconds * 1000).rounded()))ms" }
    var remaining = Int(seconds.rounded())
    if remaining == 0 { return "0s" }
    var parts = ""
    for (unit, size) in [("h", 3600), ("m", 60), ("s", 1)] where remaining >= size {
        parts += "\(remaining / size)\(unit)"
        remaining %= size
    }
    return parts
}
