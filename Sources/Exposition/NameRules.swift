/// Naming rules of the Prometheus data model (legacy character set, which every format and scraper accepts).
enum NameRules {
    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`
    static func isValidMetricName(_ name: String) -> Bool {
        var first = true
        for byte in name.utf8 {
            let ok = isLetterOrUnderscore(byte) || byte == UInt8(ascii: ":") || (!first && isDigit(byte))
            if !ok { return false }
            first = false
        }
        return !first
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`, without the `__` prefix that Prometheus reserves for internal labels.
    static func isValidLabelName(_ name: String) -> Bool {
        var first = true
        for byte in name.utf8 {
            let ok = isLetterOrUnderscore(byte) || (!first && isDigit(byte))
            if !ok { return false }
            first = false
        }
        return !first && !name.utf8.starts(with: "__".utf8)
    }

    /// Every sample or family name a family occupies in either format, so that parsers can attribute each
    /// line to exactly one family (OpenMetrics parsers reject clashes, including the `_created` names).
    static func occupiedNames(of family: MetricFamily) -> [String] {
        let name = family.name
        switch family.type {
        case .gauge: return [name]
        case .counter: return [name, name + "_total", name + "_created"]
        case .histogram: return [name, name + "_bucket", name + "_count", name + "_sum", name + "_created"]
        }
    }

    @inline(__always) private static func isLetterOrUnderscore(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || byte == UInt8(ascii: "_")
    }

    @inline(__always) private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
