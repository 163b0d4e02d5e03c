import Foundation
import HealthCore
import Probing
import Testing

/// 2024-05-01T12:00:00Z
private let now = 1_714_564_800.0

private func parse(
    _ headers: [(String, String)], body: String? = nil, status: Int = 200
) -> RateLimitSnapshot {
    parseRateLimit(
        headers: headers.map { (name: $0.0, value: $0.1) }, body: body.map { Array($0.utf8) },
        statusCode: status, now: now)
}

@Suite struct RateLimitHeadersTests {
    @Test func openAIStyleRequestsAndTokens() {
        let snapshot = parse([
            ("x-ratelimit-limit-requests", "10000"), ("x-ratelimit-remaining-requests", "9999"),
            ("x-ratelimit-reset-requests", "6m0s"),
            ("x-ratelimit-limit-tokens", "200000"), ("x-ratelimit-remaining-tokens", "150000"),
            ("x-ratelimit-reset-tokens", "20ms"),
        ])
        #expect(snapshot.requestsLimit == 10000)
        #expect(snapshot.requestsRemaining == 9999)
        #expect(snapshot.requestsResetSeconds == 360)
        #expect(snapshot.tokensLimit == 200_000)
        #expect(snapshot.tokensRemaining == 150_000)
        #expect(abs((snapshot.tokensResetSeconds ?? -1) - 0.02) < 1e-9)
        #expect(snapshot.tokensRemainingRatio == 0.75)
        #expect(snapshot.retryAfterSeconds == nil)
    }

    @Test func headerNamesAreCaseInsensitive() {
        let snapshot = parse([("X-RateLimit-Limit-Requests", "30"), ("X-RATELIMIT-REMAINING-REQUESTS", "3")])
        #expect(snapshot.requestsRemainingRatio == 0.1)
    }

    @Test(arguments: [
        ("2m59.56s", 179.56), ("1s", 1.0), ("20ms", 0.02), ("7.66s", 7.66), ("42", 42.0), ("0.5", 0.5),
    ])
    func resetFormats(text: String, seconds: Double) {
        let snapshot = parse([("x-ratelimit-reset-requests", text)])
        #expect(abs((snapshot.requestsResetSeconds ?? -1) - seconds) < 1e-9)
    }

    @Test func resetAsUnixTimestamp() {
        #expect(parse([("x-ratelimit-reset", "\(Int(now) + 30)")]).requestsResetSeconds == 30)
        #expect(parse([("x-ratelimit-reset", "\(Int(now) * 1000 + 45000)")]).requestsResetSeconds == 45)
    }

    @Test func bareFamilyCountsAsRequests() {
        let snapshot = parse([
            ("x-ratelimit-limit", "60"), ("x-ratelimit-remaining", "12"), ("x-ratelimit-reset", "15"),
        ])
        #expect(snapshot.requestsLimit == 60)
        #expect(snapshot.requestsRemaining == 12)
        #expect(snapshot.requestsResetSeconds == 15)
        #expect(snapshot.tokensLimit == nil)
    }

    @Test func anthropicFamilyUsesMostConstrainedTokens() {
        let snapshot = parse([
            ("anthropic-ratelimit-requests-limit", "50"), ("anthropic-ratelimit-requests-remaining", "49"),
            ("anthropic-ratelimit-requests-reset", "2024-05-01T12:00:30Z"),
            ("anthropic-ratelimit-tokens-limit", "100000"), ("anthropic-ratelimit-tokens-remaining", "90000"),
            ("anthropic-ratelimit-tokens-reset", "2024-05-01T12:01:00Z"),
            ("anthropic-ratelimit-input-tokens-limit", "80000"),
            ("anthropic-ratelimit-input-tokens-remaining", "8000"),
            ("anthropic-ratelimit-input-tokens-reset", "2024-05-01T14:00:05.5+02:00"),
            ("anthropic-ratelimit-output-tokens-limit", "20000"),
            ("anthropic-ratelimit-output-tokens-remaining", "10000"),
            ("anthropic-ratelimit-output-tokens-reset", "2024-05-01T12:00:10Z"),
        ])
        #expect(snapshot.requestsLimit == 50)
        #expect(snapshot.requestsRemaining == 49)
        #expect(snapshot.requestsResetSeconds == 30)
        // input tokens: 10 % left, the lowest of the three token budgets
        #expect(snapshot.tokensLimit == 80000)
        #expect(snapshot.tokensRemaining == 8000)
        #expect(snapshot.tokensResetSeconds == 5.5)
        #expect(snapshot.lowestRemainingRatio == 0.1)
    }

    @Test func resetInThePastIsZero() {
        let snapshot = parse([("anthropic-ratelimit-requests-reset", "2024-05-01T11:00:00Z")])
        #expect(snapshot.requestsResetSeconds == 0)
    }

    @Test func togetherTokenLimitFamily() {
        let snapshot = parse([("x-tokenlimit-limit", "1000000"), ("x-tokenlimit-remaining", "250000")])
        #expect(snapshot.tokensLimit == 1_000_000)
        #expect(snapshot.tokensRemaining == 250_000)
        #expect(snapshot.tokensRemainingRatio == 0.25)
    }

    @Test func mostConstrainedAcrossFamilies() {
        let snapshot = parse([
            ("x-ratelimit-limit-tokens", "1000"), ("x-ratelimit-remaining-tokens", "900"),
            ("x-tokenlimit-limit", "1000"), ("x-tokenlimit-remaining", "100"),
        ])
        #expect(snapshot.tokensRemaining == 100)
    }

    @Test func retryAfterSeconds() {
        let snapshot = parse([("Retry-After", "7")], status: 429)
        #expect(snapshot.retryAfterSeconds == 7)
    }

    @Test func retryAfterHTTPDate() {
        #expect(parse([("retry-after", "Wed, 01 May 2024 12:02:00 GMT")]).retryAfterSeconds == 120)
        #expect(parse([("retry-after", "Wednesday, 01-May-24 12:00:10 GMT")]).retryAfterSeconds == 10)
        #expect(parse([("retry-after", "Wed May  1 12:00:20 2024")]).retryAfterSeconds == 20)
        #expect(parse([("retry-after", "Tue, 30 Apr 2024 12:00:00 GMT")]).retryAfterSeconds == 0)
    }

    @Test func retryAfterMilliseconds() {
        #expect(parse([("retry-after-ms", "1500")]).retryAfterSeconds == 1.5)
    }

    @Test func geminiRetryDelayFromBody() {
        let body = """
            {"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED",
            "details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[]},
            {"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"37s"}]}}
            """
        #expect(parse([], body: body, status: 429).retryAfterSeconds == 37)
        // Wrapped in an array, as some Gemini endpoints answer.
        #expect(parse([], body: "[\(body)]", status: 429).retryAfterSeconds == 37)
        // Only a 429 body means "retry later".
        #expect(parse([], body: body, status: 200).retryAfterSeconds == nil)
    }

    @Test func geminiDetailOfOtherTypeIsIgnored() {
        let body = #"{"error":{"details":[{"@type":"type.googleapis.com/google.rpc.Help","retryDelay":"9s"}]}}"#
        #expect(parse([], body: body, status: 429).retryAfterSeconds == nil)
    }

    @Test func noHeadersGiveAnEmptySnapshot() {
        #expect(parse([("content-type", "application/json")]).isEmpty)
    }

    @Test(arguments: [
        "", "abc", "-5", "NaN", "nan", "inf", "-inf", "1e400", "12abc", "1..2s", "5x", "٣", "½",
        String(repeating: "9", count: 400) + "s", "2024-13-45T99:99:99Z", "2024-05-01T12:00:00",
        "2024-05-01T12:00:00+25:00", "Wed, 32 Foo 2024 12:00:00 GMT", "\u{0}\u{1}", "🙂", "  ", "s", "ms",
    ])
    func garbageValuesAreIgnored(value: String) {
        let names = [
            "x-ratelimit-limit-requests", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests",
            "x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens",
            "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "x-tokenlimit-limit",
            "x-tokenlimit-remaining", "anthropic-ratelimit-requests-limit", "anthropic-ratelimit-requests-reset",
            "anthropic-ratelimit-input-tokens-remaining", "retry-after", "retry-after-ms",
        ]
        let snapshot = parse(names.map { ($0, value) }, body: value, status: 429)
        #expect(snapshot.isEmpty)
    }

    @Test(arguments: [
        "not json", "{", "[]", "{}", #"{"error":"x"}"#, #"{"error":{"details":"x"}}"#,
        #"{"error":{"details":[1,null,"x",{"@type":5}]}}"#,
        #"{"error":{"details":[{"@type":"google.rpc.RetryInfo","retryDelay":"soon"}]}}"#,
        #"{"error":{"details":[{"@type":"google.rpc.RetryInfo","retryDelay":37}]}}"#,
    ])
    func garbageBodiesAreIgnored(body: String) {
        #expect(parse([], body: body, status: 429).retryAfterSeconds == nil)
    }

    @Test func garbageInOneFieldKeepsTheOthers() {
        let snapshot = parse([
            ("x-ratelimit-limit-requests", "100"), ("x-ratelimit-remaining-requests", "lots"),
            ("x-ratelimit-reset-requests", "1s"),
        ])
        #expect(snapshot.requestsLimit == 100)
        #expect(snapshot.requestsRemaining == nil)
        #expect(snapshot.requestsRemainingRatio == nil)
        #expect(snapshot.requestsResetSeconds == 1)
    }
}
