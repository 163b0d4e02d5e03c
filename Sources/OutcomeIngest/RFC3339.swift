/// Unix seconds of an RFC 3339 date-time (`2025-01-31T12:00:00.25Z`, `2025-01-31T14:00:00+02:00`), or nil.
///
/// Accepts `t` / a space for `T` and `z` for `Z`, as RFC 3339 allows; a leap second (`:60`) counts as
/// the next second's start.
func unixSecondsFromRFC3339(_ text: ArraySlice<UInt8>) -> Double? {
    var reader = DigitReader(text: text)
    guard let year = reader.number(digits: 4), reader.skip(UInt8(ascii: "-")),
        let month = reader.number(digits: 2), reader.skip(UInt8(ascii: "-")),
        let day = reader.number(digits: 2), reader.skipDateTimeSeparator(),
        let hour = reader.number(digits: 2), reader.skip(UInt8(ascii: ":")),
        let minute = reader.number(digits: 2), reader.skip(UInt8(ascii: ":")),
        let second = reader.number(digits: 2)
    else { return nil }
    guard (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month), hour <= 23,
        minute <= 59, second <= 60
    else { return nil }

    var fraction = 0.0
    if reader.skip(UInt8(ascii: ".")) {
        var scale = 0.1
        var digits = 0
        while let digit = reader.digit() {
            fraction += Double(digit) * scale
            scale /= 10
            digits += 1
        }
        guard digits > 0 else { return nil }
    }

    var offsetSeconds = 0
    if reader.skip(UInt8(ascii: "Z")) || reader.skip(UInt8(ascii: "z")) {
        offsetSeconds = 0
    } else if let sign = reader.sign() {
        guard let offsetHours = reader.number(digits: 2), reader.skip(UInt8(ascii: ":")),
            let offsetMinutes = reader.number(digits: 2), offsetHours <= 23, offsetMinutes <= 59
        else { return nil }
        offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
    } else {
        return nil
    }
    guard reader.isAtEnd else { return nil }

    let days = daysFromCivil(year: year, month: month, day: day)
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
    return Double(seconds) + fraction
}

private struct DigitReader {
    let text: ArraySlice<UInt8>
    var index: Int

    init(text: ArraySlice<UInt8>) {
        self.text = text
        self.index = text.startIndex
    }

    var isAtEnd: Bool { index >= text.endIndex }

    mutating func digit() -> Int? {
        guard index < text.endIndex, text[index] &- UInt8(ascii: "0") < 10 else { return nil }
        defer { index += 1 }
        return Int(text[index] - UInt8(ascii: "0"))
    }

    mutating func number(digits: Int) -> Int? {
        var value = 0
        for _ in 0..<digits {
            guard let digit = digit() else { return nil }
            value = value * 10 + digit
        }
        return value
    }

    mutating func skip(_ byte: UInt8) -> Bool {
        guard index < text.endIndex, text[index] == byte else { return false }
        index += 1
        return true
    }

    mutating func skipDateTimeSeparator() -> Bool {
        skip(UInt8(ascii: "T")) || skip(UInt8(ascii: "t")) || skip(UInt8(ascii: " "))
    }

    mutating func sign() -> Int? {
        if skip(UInt8(ascii: "+")) { return 1 }
        if skip(UInt8(ascii: "-")) { return -1 }
        return nil
    }
}

private func isLeapYear(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

private func daysInMonth(year: Int, month: Int) -> Int {
    switch month {
    case 2: return isLeapYear(year) ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
private func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400
    let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
}
