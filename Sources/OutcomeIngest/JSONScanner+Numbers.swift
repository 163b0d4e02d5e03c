extension JSONScanner {
    /// Validates a number by the JSON grammar (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`). When
    /// `converting`, returns its value; a magnitude too large for a Double comes back as ±infinity.
    mutating func scanNumber(converting: Bool) throws(ScanFailure) -> Double {
        let start = position
        let negative = current == UInt8(ascii: "-")
        if negative { position += 1 }
        guard let first = current, isDigit(first) else { throw malformed("expected a digit, \(foundDescription)") }

        var parts = DecimalParts()
        if first == UInt8(ascii: "0") {
            position += 1
            if let next = current, isDigit(next) { throw malformed("leading zero in a number") }
        } else {
            while let byte = current, isDigit(byte) {
                parts.append(digit: byte, fractional: false)
                position += 1
            }
        }
        if current == UInt8(ascii: ".") {
            position += 1
            guard let byte = current, isDigit(byte) else { throw malformed("expected a digit after '.'") }
            while let byte = current, isDigit(byte) {
                parts.append(digit: byte, fractional: true)
                position += 1
            }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            let negativeExponent = current == UInt8(ascii: "-")
            if negativeExponent || current == UInt8(ascii: "+") { position += 1 }
            guard let byte = current, isDigit(byte) else { throw malformed("expected a digit in the exponent") }
            var exponent = 0
            while let byte = current, isDigit(byte) {
                // Past a few hundred the value is 0 or infinite anyway; the cap keeps the sum from overflowing.
                if exponent < 100_000 { exponent = exponent * 10 + Int(byte - UInt8(ascii: "0")) }
                position += 1
            }
            parts.exponent10 += negativeExponent ? -exponent : exponent
        }
        guard converting else { return 0 }

        let magnitude = parts.exactValue ?? slowValue(start: negative ? start + 1 : start)
        return negative ? -magnitude : magnitude
    }

    /// The correctly rounded value of the unsigned number text from `start` to here, by the standard library.
    /// Only reached for more than 19 significant digits or a power of ten past 10^22.
    private func slowValue(start: Int) -> Double {
        Double(String(decoding: bytes[start..<position], as: UTF8.self)) ?? .infinity
    }
}

@inline(__always)
private func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

/// A decimal number as significand × 10^exponent, gathered digit by digit.
private struct DecimalParts {
    var significand: UInt64 = 0
    var significantDigits = 0
    var exponent10 = 0
    /// False once a non-zero digit did not fit in the significand.
    var exact = true

    mutating func append(digit byte: UInt8, fractional: Bool) {
        let digit = UInt64(byte - UInt8(ascii: "0"))
        if significand == 0 && digit == 0 {
            if fractional { exponent10 -= 1 }
        } else if significantDigits < 19 {
            significand = significand * 10 + digit
            significantDigits += 1
            if fractional { exponent10 -= 1 }
        } else {
            if digit != 0 { exact = false }
            if !fractional { exponent10 += 1 }
        }
    }

    /// The value when one correctly rounded multiplication or division gives it exactly (Clinger's fast
    /// path: significand and power of ten both exact in a Double), else nil.
    var exactValue: Double? {
        if significand == 0 { return 0 }
        guard exact, significand <= 1 << 53, exponent10 >= -22, exponent10 <= 22 else { return nil }
        let value = Double(significand)
        return exponent10 < 0 ? value / powersOfTen[-exponent10] : value * powersOfTen[exponent10]
    }
}

private let powersOfTen: [Double] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
    1e20, 1e21, 1e22,
]
