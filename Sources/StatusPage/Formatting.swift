/// Number and time formatting for the page. Locale-free on purpose: the page reads the same on every host,
/// and tests can compare it exactly. Values that cannot be shown (nil, NaN, absurdly large) become "—".
enum Format {
    static let missing = "—"

    /// `x` with exactly `digits` decimals; nil for values that are not finite or too large to format.
    static func fixed(_ x: Double, digits: Int) -> String? {
        guard x.isFinite, abs(x) < 1e15 else { return nil }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((abs(x) * scale).rounded())
        var whole = String(scaled / Int(scale))
        if digits > 0 {
            let fraction = String(scaled % Int(scale))
            whole += "." + String(repeating: "0", count: digits - fraction.count) + fraction
        }
        return (x < 0 && scaled != 0 ? "-" : "") + whole
    }

    /// Seconds as milliseconds: "0.4 ms", "45 ms", "1850 ms".
    static func latency(_ seconds: Double?) -> String {
        guard let seconds else { return missing }
        let ms = seconds * 1000
        return fixed(ms, digits: ms < 10 ? 1 : 0).map { "\($0) ms" } ?? missing
    }

    /// A 0...1 ratio as a percentage: "12.5 %"; whole numbers drop the decimal ("100 %").
    static func percent(_ ratio: Double?) -> String {
        guard let ratio, let text = fixed(ratio * 100, digits: 1) else { return missing }
        return (text.hasSuffix(".0") ? String(text.dropLast(2)) : text) + " %"
    }

    /// A 0...1 score with two decimals.
    static func score(_ value: Double) -> String {
        fixed(value, digits: 2) ?? missing
    }

    /// A plain count, such as a rate-limit remaining value.
    static func count(_ value: Double?) -> String {
        guard let value else { return missing }
        return fixed(value, digits: 0) ?? missing
    }

    /// Unix seconds as UTC ISO-8601, to the second: "2025-03-01T12:00:05Z".
    static func isoUTC(_ unixSeconds: Double) -> String? {
        // Year 0 to 9999 keeps the four-digit year form.
        guard unixSeconds.isFinite, unixSeconds > -62_167_219_200, unixSeconds < 253_402_300_800 else { return nil }
        let total = Int(unixSeconds.rounded(.down))
        let days = floorDiv(total, 86_400)
        let secondOfDay = total - days * 86_400
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T"
            + "\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))Z"
    }

    /// How long before `now` the moment `then` was: "12 s ago", "5 min ago", "3 h ago", "2 d ago".
    static func relative(_ then: Double, now: Double) -> String? {
        let delta = now - then
        guard delta.isFinite, abs(delta) < 1e12 else { return nil }
        let seconds = Int(abs(delta).rounded())
        let amount: String
        switch seconds {
        case ..<60: amount = "\(seconds) s"
        case ..<3600: amount = "\(seconds / 60) min"
        case ..<86_400: amount = "\(seconds / 3600) h"
        default: amount = "\(seconds / 86_400) d"
        }
        // A clock a little ahead of ours is not worth a "in 1 s".
        return delta > -1 ? "\(amount) ago" : "in \(amount)"
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    private static func floorDiv(_ a: Int, _ b: Int) -> Int {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }

    /// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's civil_from_days).
    private static func civilDate(daysSinceEpoch: Int) -> (year: Int, month: Int, day: Int) {
        let z = daysSinceEpoch + 719_468
        let era = floorDiv(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
