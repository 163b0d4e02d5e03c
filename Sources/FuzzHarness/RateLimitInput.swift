import HealthCore
import Probing

/// The clock the rate-limit inputs are read against: 2024-05-01T12:00:00Z.
public let fuzzRateLimitNow = 1_714_564_800.0

/// Splits an input into response headers and a body, the way an HTTP response is laid out: `name: value`
/// lines up to the first empty line (LF or CRLF), then the body. A line without a colon is a header with an
/// empty value; no empty line means no body.
public func rateLimitResponse(_ input: [UInt8]) -> (headers: [(name: String, value: String)], body: [UInt8]?) {
    var headers: [(name: String, value: String)] = []
    var start = 0
    while start < input.count {
        var end = start
        while end < input.count, input[end] != 0x0A { end += 1 }
        var line = input[start..<end]
        if line.last == 0x0D { line = line.dropLast() }
        if line.isEmpty { return (headers, end < input.count ? Array(input[(end + 1)...]) : []) }
        if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            headers.append((String(decoding: line[..<colon], as: UTF8.self),
                            String(decoding: line[(colon + 1)...], as: UTF8.self)))
        } else {
            headers.append((String(decoding: line, as: UTF8.self), ""))
        }
        start = end + 1
    }
    return (headers, nil)
}

/// Reads one response's rate-limit state from `input` (see `rateLimitResponse`) and returns every broken
/// invariant (empty when all hold): every count, reset and wait is finite and not negative, each remaining ratio
/// lies in 0...1, header names are case-insensitive, and only a 429 body can ask for a wait.
public func checkRateLimitInput(_ input: [UInt8]) -> [String] {
    let (headers, body) = rateLimitResponse(input)
    let limited = parseRateLimit(headers: headers, body: body, statusCode: 429, now: fuzzRateLimitNow)
    var problems = snapshotProblems(limited, "429")

    let shouted = headers.map { (name: asciiUppercased($0.name), value: $0.value) }
    let upper = parseRateLimit(headers: shouted, body: body, statusCode: 429, now: fuzzRateLimitNow)
    if upper != limited { problems.append("upper-case header names read differently: \(limited) vs \(upper)") }

    let ok = parseRateLimit(headers: headers, body: body, statusCode: 200, now: fuzzRateLimitNow)
    problems += snapshotProblems(ok, "200")
    var withoutWait = limited
    withoutWait.retryAfterSeconds = ok.retryAfterSeconds
    if ok != withoutWait { problems.append("the status changed more than the wait: \(limited) vs \(ok)") }
    if let wait = ok.retryAfterSeconds, !(wait <= (limited.retryAfterSeconds ?? -1)) {
        problems.append("a 200 waits longer (\(wait)) than the same 429 (\(String(describing: limited.retryAfterSeconds)))")
    }

    if let body, !body.isEmpty {
        // Gemini's retryDelay on its own.
        let bodyOnly = parseRateLimit(headers: [], body: body, statusCode: 429, now: fuzzRateLimitNow)
        problems += snapshotProblems(bodyOnly, "body")
        var expected = RateLimitSnapshot()
        expected.retryAfterSeconds = bodyOnly.retryAfterSeconds
        if bodyOnly != expected { problems.append("a body alone set more than the wait: \(bodyOnly)") }
    }
    return problems
}

func snapshotProblems(_ snapshot: RateLimitSnapshot, _ label: String) -> [String] {
    var problems: [String] = []
    let values: [(String, Double?)] = [
        ("requestsLimit", snapshot.requestsLimit), ("requestsRemaining", snapshot.requestsRemaining),
        ("tokensLimit", snapshot.tokensLimit), ("tokensRemaining", snapshot.tokensRemaining),
        ("requestsResetSeconds", snapshot.requestsResetSeconds), ("tokensResetSeconds", snapshot.tokensResetSeconds),
        ("retryAfterSeconds", snapshot.retryAfterSeconds),
    ]
    for (name, value) in values {
        if let value, !(value.isFinite && value >= 0) { problems.append("\(label): \(name) is \(value)") }
    }
    let ratios: [(String, Double?)] = [
        ("requestsRemainingRatio", snapshot.requestsRemainingRatio),
        ("tokensRemainingRatio", snapshot.tokensRemainingRatio),
        ("lowestRemainingRatio", snapshot.lowestRemainingRatio),
    ]
    for (name, ratio) in ratios {
        if let ratio, !(0...1).contains(ratio) { problems.append("\(label): \(name) is \(ratio)") }
    }
    return problems
}

/// ASCII letters upper-cased, everything else kept, so only the case of a header name changes.
func asciiUppercased(_ text: String) -> String {
    String(decoding: text.utf8.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }, as: UTF8.self)
}
