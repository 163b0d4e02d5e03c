/// Writes through a raw pointer, checking every write against the end of the window: past it,
/// nothing is written and `overflowed` is set, so a wrong size estimate costs a retry, never memory.
struct ByteWindow {
    private let base: UnsafeMutablePointer<UInt8>
    private let end: Int
    private(set) var position: Int
    private(set) var overflowed = false

    init(base: UnsafeMutablePointer<UInt8>, position: Int, end: Int) {
        self.base = base
        self.position = position
        self.end = end
    }

    /// Forgets everything written after `mark` (an earlier `position`), including an overflow.
    mutating func rewind(to mark: Int) {
        position = mark
        overflowed = false
    }

    @inline(__always)
    private mutating func room(_ count: Int) -> Bool {
        if count <= end - position { return true }
        overflowed = true
        return false
    }

    @inline(__always)
    mutating func write(_ byte: UInt8) {
        guard room(1) else { return }
        base[position] = byte
        position += 1
    }

    @inline(__always)
    mutating func write(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, room(bytes.count) else { return }
        (base + position).update(from: source, count: bytes.count)
        position += bytes.count
    }

    /// Appends a compile-time constant.
    @inline(__always)
    mutating func write(_ text: StaticString) {
        write(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Appends the UTF-8 bytes of a string as they are.
    @inline(__always)
    mutating func write(raw text: String) {
        if text.utf8.withContiguousStorageIfAvailable({ write($0) }) == nil {
            for byte in text.utf8 { write(byte) }
        }
    }

    /// Copies bytes already written in this window (`range` from an earlier `position`) to the end.
    @inline(__always)
    mutating func repeatWritten(_ range: Range<Int>) {
        guard !overflowed, range.upperBound <= position, room(range.count) else { return }
        (base + position).update(from: base + range.lowerBound, count: range.count)
        position += range.count
    }

    /// Appends a string escaping backslash and newline, and double quote when `quotes` is set.
    @inline(__always)
    mutating func write(escaped text: String, quotes: Bool) {
        if text.utf8.withContiguousStorageIfAvailable({ write(escaped: $0, quotes: quotes) }) == nil {
            Array(text.utf8).withUnsafeBufferPointer { write(escaped: $0, quotes: quotes) }
        }
    }

    private mutating func write(escaped bytes: UnsafeBufferPointer<UInt8>, quotes: Bool) {
        var runStart = 0
        for index in 0..<bytes.count {
            let escape: UInt8
            switch bytes[index] {
            case UInt8(ascii: "\\"): escape = UInt8(ascii: "\\")
            case UInt8(ascii: "\n"): escape = UInt8(ascii: "n")
            case UInt8(ascii: "\"") where quotes: escape = UInt8(ascii: "\"")
            default: continue
            }
            write(UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            write(UInt8(ascii: "\\"))
            write(escape)
            runStart = index + 1
        }
        write(UnsafeBufferPointer(rebasing: bytes[runStart...]))
    }

    /// Appends an unsigned integer in decimal.
    mutating func write(decimal value: UInt64) {
        var digits = 1
        var rest = value
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        guard room(digits) else { return }
        rest = value
        var index = position + digits - 1
        repeat {
            base[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
            index -= 1
        } while rest > 0
        position += digits
    }

    /// Appends a sample value: `NaN`, `+Inf`, `-Inf`, integers as plain digits, other numbers in
    /// their shortest round-tripping form.
    mutating func write(sampleValue value: Double) {
        if value.isNaN {
            write("NaN")
        } else if value.isInfinite {
            write(value < 0 ? "-Inf" : "+Inf")
        } else if value.magnitude < 1e15, Double(Int64(value)) == value {
            // Integral: plain digits, no libm call and no String.
            if value < 0 { write(UInt8(ascii: "-")) }
            write(decimal: Int64(value).magnitude)
        } else {
            write(raw: value.description)
        }
    }
}
