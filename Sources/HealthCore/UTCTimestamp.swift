/// Calendar fields of an instant in UTC, computed directly (proleptic Gregorian calendar), so timestamps are
/// written without Foundation's date formatters.
public struct UTCTimestamp: Sendable, Equatable {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int
    /// Milliseconds past `second`: the instant is taken to the nearest millisecond, as Foundation's formatter does.
    public var millisecond: Int

    public init(unixSeconds: Double) {
        let milliseconds = Int64((unixSeconds * 1000).rounded())
        let (days, msOfDay) = Self.floorDivision(milliseconds, 86_400_000)
        (year, month, day) = Self.civilDate(daysSinceEpoch: days)
        hour = Int(msOfDay / 3_600_000)
        minute = Int(msOfDay / 60_000 % 60)
        second = Int(msOfDay / 1000 % 60)
        millisecond = Int(msOfDay % 1000)
    }

    /// RFC 3339 in UTC: `2024-05-01T12:00:30Z`, or `2024-05-01T12:00:30.250Z` with milliseconds.
    public func rfc3339(milliseconds: Bool) -> String {
        var text =
            Self.padded(year, 4) + "-" + Self.padded(month, 2) + "-" + Self.padded(day, 2) + "T"
            + Self.padded(hour, 2) + ":" + Self.padded(minute, 2) + ":" + Self.padded(second, 2)
        if milliseconds { text += "." + Self.padded(millisecond, 3) }
        return text + "Z"
    }

    /// The ISO 8601 basic form AWS signs with: `20240501T120030Z`.
    public var basicFormat: String {
        Self.padded(year, 4) + Self.padded(month, 2) + Self.padded(day, 2) + "T" + Self.padded(hour, 2)
            + Self.padded(minute, 2) + Self.padded(second, 2) + "Z"
    }

    private static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width
            ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    private static func floorDivision(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let remainder = a % b
        return remainder < 0 ? (a / b - 1, remainder + b) : (a / b, remainder)
    }

    /// Year, month and day of a day count from 1970-01-01 (Howard Hinnant's `civil_from_days`).
    private static func civilDate(daysSinceEpoch: Int64) -> (Int, Int, Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }
}
