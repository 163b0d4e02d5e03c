/// The CSV header; the column names match the JSON keys of `HistoryRow`.
public let historyCSVHeader =
    "timestamp,provider,status,available,health_score,error_rate,p50_latency_seconds,p95_latency_seconds,"
    + "results,models_available,models_total,breaker_state"

/// A header line, then one line per row (RFC 4180: CRLF line ends, fields holding a comma, a quote or a
/// line break are quoted with inner quotes doubled). Missing latencies are empty fields.
public func historyCSV(_ rows: [HistoryRow]) -> String {
    var text = historyCSVHeader + "\r\n"
    for row in rows {
        let fields: [String] = [
            csvNumber(row.timestamp), csvField(row.provider), csvField(row.status), row.available ? "true" : "false",
            csvNumber(row.healthScore), csvNumber(row.errorRate),
            row.p50LatencySeconds.map(csvNumber) ?? "", row.p95LatencySeconds.map(csvNumber) ?? "",
            String(row.results), String(row.modelsAvailable), String(row.modelsTotal), csvField(row.breakerState),
        ]
        text += fields.joined(separator: ",")
        text += "\r\n"
    }
    return text
}

/// A text field, quoted only when it has to be.
func csvField(_ value: String) -> String {
    let needsQuotes = value.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }
    guard needsQuotes else { return value }
    return "\"" + value.replacingQuotes() + "\""
}

/// Numbers as plain decimals; whole numbers without a fraction (Unix seconds read better that way).
func csvNumber(_ value: Double) -> String {
    guard value.isFinite else { return "" }
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return String(value)
}

extension String {
    fileprivate func replacingQuotes() -> String {
        var result = ""
        result.reserveCapacity(utf8.count + 2)
        for character in self {
            if character == "\"" { result += "\"\"" } else { result.append(character) }
        }
        return result
    }
}
