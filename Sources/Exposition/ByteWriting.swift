/// Low-level appends into the output buffer: no intermediate Strings on the hot path.
extension Array where Element == UInt8 {
    /// Appends the bytes of a compile-time constant.
    @inline(__always)
    mutating func appendStatic(_ text: StaticString) {
        append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Appends the UTF-8 bytes of a string as they are.
    @inline(__always)
    mutating func appendRaw(_ text: String) {
        if text.utf8.withContiguousStorageIfAvailable({ append(contentsOf: $0) }) == nil {
            append(contentsOf: text.utf8)
        }
    }

    /// Appends a string escaping backslash and newline, and double quote when `quotes` is set.
    @inline(__always)
    mutating func appendEscaped(_ text: String, quotes: Bool) {
        if text.utf8.withContiguousStorageIfAvailable({ appendEscaped(bytes: $0, quotes: quotes) }) == nil {
            Array(text.utf8).withUnsafeBufferPointer { appendEscaped(bytes: $0, quotes: quotes) }
        }
    }

    private mutating func appendEscaped(bytes: UnsafeBufferPointer<UInt8>, quotes: Bool) {
        var runStart = 0
        for position in 0..<bytes.count {
            let escaped: UInt8
            switch bytes[position] {
            case UInt8(ascii: "\\"): escaped = UInt8(ascii: "\\")
            case UInt8(ascii: "\n"): escaped = UInt8(ascii: "n")
            case UInt8(ascii: "\"") where quotes: escaped = UInt8(ascii: "\"")
            default: continue
            }
            if runStart < position { append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<position])) }
            append(UInt8(ascii: "\\"))
            append(escaped)
            runStart = position + 1
        }
        if runStart < bytes.count { append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...])) }
    }

    /// Appends an unsigned integer in decimal.
    mutating func appendDecimal(_ value: UInt64) {
        if value < 10 {
            append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value))
            return
        }
        var digits = 1
        var rest = value
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        let start = count
        append(contentsOf: repeatElement(UInt8(ascii: "0"), count: digits))
        rest = value
        withUnsafeMutableBufferPointer { buffer in
            var position = start + digits - 1
            while rest > 0 {
                buffer[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
                position -= 1
            }
        }
    }

    /// Appends a sample value: `NaN`, `+Inf`, `-Inf`, integers without exponent or fraction, other
    /// numbers in their shortest round-tripping form.
    mutating func appendSampleValue(_ value: Double) {
        if value.isNaN {
            appendStatic("NaN")
        } else if value.isInfinite {
            appendStatic(value < 0 ? "-Inf" : "+Inf")
        } else if value.magnitude < 1e15, value == value.rounded(.towardZero) {
            if value < 0 { append(UInt8(ascii: "-")) }
            appendDecimal(UInt64(value.magnitude))
        } else {
            appendRaw(value.description)
        }
    }
}
