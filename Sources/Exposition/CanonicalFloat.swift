/// The canonical float form of OpenMetrics (as Go's and Python's clients write bucket bounds, and as
/// Prometheus 3 normalises `le` values): shortest round-trip digits laid out like Go's `%g`, with `.0`
/// appended to integers, e.g. `0.05`, `1.0`, `10.0`, `1e+06`, `1e-05`, `+Inf`.
func canonicalFloat(_ value: Double) -> String {
    if value.isNaN { return "NaN" }
    if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
    if value == 0 { return "0.0" }
    let (digits, point) = shortestDigits(of: value.magnitude)
    var text = value < 0 ? "-" : ""
    let exponent = point - 1
    if exponent < -4 || exponent >= 6 {
        text += String(digits.first!)
        if digits.count > 1 { text += "." + String(digits.dropFirst()) }
        text += exponent < 0 ? "e-" : "e+"
        let magnitude = String(exponent.magnitude)
        text += (magnitude.count < 2 ? "0" : "") + magnitude
    } else if point <= 0 {
        text += "0." + String(repeating: "0", count: -point) + String(digits)
    } else if digits.count <= point {
        text += String(digits) + String(repeating: "0", count: point - digits.count) + ".0"
    } else {
        text += String(digits.prefix(point)) + "." + String(digits.dropFirst(point))
    }
    return text
}

/// Significant digits (no leading or trailing zeros) and decimal point position of a positive finite
/// number, so that value = 0.d1d2d3… × 10^point. Taken from Swift's shortest round-trip description.
private func shortestDigits(of value: Double) -> (digits: [Character], point: Int) {
    let description = value.description
    var mantissa = Substring(description)
    var exponent = 0
    if let e = description.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        mantissa = description[..<e]
        exponent = Int(description[description.index(after: e)...]) ?? 0
    }
    let integerPart = mantissa.prefix { $0 != "." }
    let fractionPart = mantissa.dropFirst(integerPart.count + (integerPart.count < mantissa.count ? 1 : 0))
    var digits = Array(integerPart) + Array(fractionPart)
    var point = integerPart.count + exponent
    while digits.first == "0" {
        digits.removeFirst()
        point -= 1
    }
    while digits.last == "0" { digits.removeLast() }
    return digits.isEmpty ? (["0"], 1) : (digits, point)
}
