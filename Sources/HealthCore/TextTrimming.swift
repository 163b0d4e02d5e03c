/// Trimming the blanks around a value, as Foundation's `trimmingCharacters(in:)` with `.whitespaces` and
/// `.whitespacesAndNewlines` does, without linking Foundation's character sets.
extension StringProtocol {
    /// Without leading and trailing spaces and tabs (Foundation's `.whitespaces`).
    public func trimmingWhitespace() -> String {
        trimming(isWhitespace)
    }

    /// Without leading and trailing spaces, tabs and line breaks (Foundation's `.whitespacesAndNewlines`).
    public func trimmingWhitespaceAndNewlines() -> String {
        trimming { isWhitespace($0) || isNewline($0) }
    }

    private func trimming(_ isBlank: (Unicode.Scalar) -> Bool) -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !isBlank($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !isBlank($0) })!
        var trimmed = String.UnicodeScalarView()
        trimmed.append(contentsOf: scalars[first...last])
        return String(trimmed)
    }
}

/// Foundation's whitespace set: the space separators, tab and zero width space.
private func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x20, 0x09, 0xA0, 0x1680, 0x2000...0x200B, 0x202F, 0x205F, 0x3000: return true
    default: return false
    }
}

/// Foundation's newline set: U+000A…U+000D, U+0085 and the line and paragraph separators.
private func isNewline(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x0A...0x0D, 0x85, 0x2028, 0x2029: return true
    default: return false
    }
}
