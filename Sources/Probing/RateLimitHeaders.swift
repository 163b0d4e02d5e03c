#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HealthCore

/// Reads a provider's rate-limit state from its response headers (and, for Gemini, its 429 body), in the
/// families its kind speaks (`ProviderKindSpec.rateLimitFamilies`; all of them by default).
///
/// Header names are case-insensitive. `retry-after` (seconds or HTTP-date) and `retry-after-ms` are HTTP's own and
/// always read. When several families describe the same resource, the most constrained one wins.
/// Values that cannot be read are ignored.
public func parseRateLimit(
    headers: [(name: String, value: String)], body: [UInt8]?, statusCode: Int, now: Double,
    families: [RateLimitFamily] = RateLimitFamily.all
) -> RateLimitSnapshot {
    var fields: [String: String] = [:]
    for (name, value) in headers {
        let key = name.lowercased()
        // First occurrence wins, as with most HTTP header lookups.
        if fields[key] == nil { fields[key] = value.trimmingWhitespace() }
    }
    let response = RateLimitFamily.Response(fields: fields, body: body, statusCode: statusCode, now: now)
    var requests: [RateLimitValues.Budget] = []
    var tokens: [RateLimitValues.Budget] = []
    var waits = [
        fields["retry-after"].flatMap { RateLimitValues.retryAfterSeconds($0, now: now) },
        fields["retry-after-ms"].flatMap(RateLimitValues.count).map { $0 / 1000 },
    ].compactMap { $0 }
    for family in families {
        let read = family.read(response)
        requests += read.requests
        tokens += read.tokens
        waits += read.waits
    }

    var snapshot = RateLimitSnapshot()
    if let budget = RateLimitValues.mostConstrained(requests) {
        snapshot.requestsLimit = budget.limit
        snapshot.requestsRemaining = budget.remaining
        snapshot.requestsResetSeconds = budget.reset
    }
    if let budget = RateLimitValues.mostConstrained(tokens) {
        snapshot.tokensLimit = budget.limit
        snapshot.tokensRemaining = budget.remaining
        snapshot.tokensResetSeconds = budget.reset
    }
    snapshot.retryAfterSeconds = waits.max()
    return snapshot
}

/// One provider format of rate-limit state: which headers (or body) say how much of which budget is left.
public struct RateLimitFamily: Sendable {
    /// One response as the families read it: header values by lower-case name.
    struct Response {
        let fields: [String: String]
        let body: [UInt8]?
        let statusCode: Int
        let now: Double

        func count(_ name: String) -> Double? { fields[name].flatMap(RateLimitValues.count) }
        func reset(_ name: String) -> Double? { fields[name].flatMap { RateLimitValues.resetSeconds($0, now: now) } }
    }

    struct Reading {
        var requests: [RateLimitValues.Budget] = []
        var tokens: [RateLimitValues.Budget] = []
        /// Seconds the response asked to wait.
        var waits: [Double] = []
    }

    public let name: String
    let read: @Sendable (Response) -> Reading

    /// `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` and the bare `x-ratelimit-{limit,remaining,reset}`
    /// (requests): OpenAI, Azure OpenAI, Groq, Together, OpenRouter; resets like `6m0s` or seconds.
    public static let xRateLimit = RateLimitFamily(name: "x-ratelimit") { response in
        Reading(
            requests: [
                .init(limit: response.count("x-ratelimit-limit-requests"),
                      remaining: response.count("x-ratelimit-remaining-requests"),
                      reset: response.reset("x-ratelimit-reset-requests")),
                .init(limit: response.count("x-ratelimit-limit"), remaining: response.count("x-ratelimit-remaining"),
                      reset: response.reset("x-ratelimit-reset")),
            ],
            tokens: [
                .init(limit: response.count("x-ratelimit-limit-tokens"),
                      remaining: response.count("x-ratelimit-remaining-tokens"),
                      reset: response.reset("x-ratelimit-reset-tokens"))
            ])
    }

    /// `x-tokenlimit-{limit,remaining}` (Together, tokens).
    public static let xTokenLimit = RateLimitFamily(name: "x-tokenlimit") { response in
        Reading(tokens: [
            .init(limit: response.count("x-tokenlimit-limit"), remaining: response.count("x-tokenlimit-remaining"),
                  reset: nil)
        ])
    }

    /// `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}` (RFC 3339 reset).
    public static let anthropic = RateLimitFamily(name: "anthropic-ratelimit") { response in
        var reading = Reading()
        for resource in ["requests", "tokens", "input-tokens", "output-tokens"] {
            let prefix = "anthropic-ratelimit-\(resource)-"
            let budget = RateLimitValues.Budget(
                limit: response.count(prefix + "limit"), remaining: response.count(prefix + "remaining"),
                reset: response.reset(prefix + "reset"))
            if resource == "requests" { reading.requests.append(budget) } else { reading.tokens.append(budget) }
        }
        return reading
    }

    /// Gemini's 429 body: `error.details[].retryDelay` of a `RetryInfo` detail.
    public static let geminiRetryDelay = RateLimitFamily(name: "gemini-retry-delay") { response in
        guard response.statusCode == 429, let delay = response.body.flatMap(RateLimitValues.geminiRetryDelay) else {
            return Reading()
        }
        return Reading(waits: [delay])
    }

    /// Every family: what a response of unknown origin is read with (the fuzzer, the tests of the parser).
    public static let all: [RateLimitFamily] = [xRateLimit, xTokenLimit, anthropic, geminiRetryDelay]
}

/// The parsing pieces behind `parseRateLimit`, kept apart so each rule stays small.
enum RateLimitValues {
    /// One family's view of one resource.
    struct Budget {
        var limit: Double?
        var remaining: Double?
        var reset: Double?
        var isEmpty: Bool { limit == nil && remaining == nil && reset == nil }
        var ratio: Double? {
            guard let remaining, let limit, limit > 0 else { return nil }
            return remaining / limit
        }
    }

    /// The budget with the lowest remaining ratio; without any ratio, the first one that says anything.
    static func mostConstrained(_ budgets: [Budget]) -> Budget? {
        let present = budgets.filter { !$0.isEmpty }
        let withRatio = present.filter { $0.ratio != nil }
        if let lowest = withRatio.min(by: { $0.ratio! < $1.ratio! }) { return lowest }
        return present.first
    }

    /// A non-negative, finite count ("100", "99.5"); nil for anything else.
    static func count(_ text: String) -> Double? {
        guard let value = Double(text.trimmingWhitespace()), value.isFinite, value >= 0 else {
            return nil
        }
        return value
    }

    /// Seconds until a reset: a duration (`6m0s`, `20ms`, `1.5`), an RFC 3339 instant,
    /// or a Unix timestamp in seconds or milliseconds.
    static func resetSeconds(_ text: String, now: Double) -> Double? {
        let s = text.trimmingWhitespace()
        if let plain = count(s) {
            // Large plain numbers are instants, not durations.
            if plain > 1e12 { return max(0, plain / 1000 - now) }
            if plain > 1e9 { return max(0, plain - now) }
            return plain
        }
        if let duration = parseDuration(s), duration.isFinite { return duration }
        if let instant = parseRFC3339(s) { return max(0, instant - now) }
        return nil
    }

    /// `retry-after`: delay seconds or an HTTP-date.
    static func retryAfterSeconds(_ text: String, now: Double) -> Double? {
        if let seconds = count(text) { return seconds }
        if let instant = parseHTTPDate(text) { return max(0, instant - now) }
        return nil
    }

    /// Gemini's 429 body: `{"error":{"details":[{"@type":"…RetryInfo","retryDelay":"37s"}]}}`.
    static func geminiRetryDelay(_ body: [UInt8]) -> Double? {
        // A rate-limit error body is small; do not parse anything large.
        guard !body.isEmpty, body.count <= 1 << 20,
            let json = JSONText.parse(body)
        else { return nil }
        // Gemini sometimes wraps the error object in an array.
        let root = (json as? [Any])?.first ?? json
        guard let error = (root as? [String: Any])?["error"] as? [String: Any],
            let details = error["details"] as? [Any]
        else { return nil }
        let delays = details.compactMap { detail -> Double? in
            guard let detail = detail as? [String: Any],
                let type = detail["@type"] as? String, type.hasSuffix("RetryInfo"),
                let delay = detail["retryDelay"] as? String,
                let seconds = parseDuration(delay), seconds.isFinite
            else { return nil }
            return seconds
        }
        return delays.max()
    }

    /// Unix seconds of an RFC 3339 timestamp: `2024-05-01T12:00:30Z`, `2024-05-01T12:00:30.5+02:00`.
    static func parseRFC3339(_ text: String) -> Double? {
        let chars = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= chars.count else { return nil }
            var value = 0
            for c in chars[range] {
                guard c >= 48, c <= 57 else { return nil }
                value = value * 10 + Int(c - 48)
            }
            return value
        }
        guard chars.count >= 20,
            let year = number(0..<4), chars[4] == UInt8(ascii: "-"),
            let month = number(5..<7), chars[7] == UInt8(ascii: "-"),
            let day = number(8..<10), chars[10] == UInt8(ascii: "T") || chars[10] == UInt8(ascii: "t")
                || chars[10] == UInt8(ascii: " "),
            let hour = number(11..<13), chars[13] == UInt8(ascii: ":"),
            let minute = number(14..<16), chars[16] == UInt8(ascii: ":"),
            let second = number(17..<19)
        else { return nil }
        var index = 19
        var fraction = 0.0
        if chars[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            let start = index
            while index < chars.count, chars[index] >= 48, chars[index] <= 57 {
                fraction += Double(chars[index] - 48) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        guard index < chars.count else { return nil }
        var offset = 0
        switch chars[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == chars.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard chars.count == index + 6, chars[index + 3] == UInt8(ascii: ":"),
                let hours = number(index + 1..<index + 3), let minutes = number(index + 4..<index + 6),
                hours < 24, minutes < 60
            else { return nil }
            offset = (hours * 60 + minutes) * 60 * (chars[index] == UInt8(ascii: "+") ? 1 : -1)
        default:
            return nil
        }
        guard let days = daysSinceEpoch(year: year, month: month, day: day),
            hour < 24, minute < 60, second <= 60
        else { return nil }
        return Double(days * 86400 + hour * 3600 + minute * 60 + second - offset) + fraction
    }

    /// Unix seconds of an HTTP-date: IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`,
    /// RFC 850 `Sunday, 06-Nov-94 08:49:37 GMT` or asctime `Sun Nov  6 08:49:37 1994`.
    static func parseHTTPDate(_ text: String) -> Double? {
        let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        let words = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "-" }).map(String.init)
        let day: Int?
        let monthName: String
        let yearText: String
        let timeText: String
        switch words.count {
        case 6 where words[5].uppercased() == "GMT":
            // IMF-fixdate or RFC 850: weekday, day, month, year, time, GMT
            day = Int(words[1])
            monthName = words[2]
            yearText = words[3]
            timeText = words[4]
        case 5:
            // asctime: weekday, month, day, time, year
            day = Int(words[2])
            monthName = words[1]
            yearText = words[4]
            timeText = words[3]
        default:
            return nil
        }
        guard let day, let monthIndex = months.firstIndex(of: monthName.lowercased()), var year = Int(yearText)
        else { return nil }
        if yearText.count == 2 { year += year < 70 ? 2000 : 1900 }
        let clock = timeText.split(separator: ":").map { Int($0) }
        guard clock.count == 3, let hour = clock[0], let minute = clock[1], let second = clock[2],
            (0..<24).contains(hour), (0..<60).contains(minute), (0...60).contains(second),
            let days = daysSinceEpoch(year: year, month: monthIndex + 1, day: day)
        else { return nil }
        return Double(days * 86400 + hour * 3600 + minute * 60 + second)
    }

    /// Days from 1970-01-01 to a civil date (proleptic Gregorian), nil for an impossible date.
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int? {
        guard (1...12).contains(month), (1...31).contains(day), (1...9999).contains(year) else { return nil }
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
