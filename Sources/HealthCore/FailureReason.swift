/// Why a probe or a real request failed, and every rule that classifies a failure: the one home for them.
/// Probes (HTTP status, a kind's own error bodies refine it), gateway traffic (status code or error text) and
/// the transport (which maps its own errors onto the connection-level cases) all end up here.
/// The raw values are the `reason` label values.
public enum FailureReason: String, Sendable, CaseIterable, Codable, Hashable {
    case timeout
    case connect
    case dns
    case tls
    /// HTTP 401 or 403: the key is wrong or revoked.
    case auth
    /// HTTP 429 (or 402, out of credit): slow down.
    case rateLimited = "rate_limited"
    case http4xx = "http_4xx"
    case http5xx = "http_5xx"
    /// The provider answered, but not with something we could use.
    case badResponse = "bad_response"
    /// The provider answered, but the model is not in its model list.
    case modelMissing = "model_missing"
    /// The probe stopped at the egress proxy (refused, closed, a non-2xx answer to `CONNECT`, a 407, no answer by
    /// the deadline): it never reached the provider, so it says nothing about it.
    case proxy

    /// A 401/403: the provider answered, and refused the key.
    public var rejectsKey: Bool { self == .auth }

    /// A 429/402: the provider answered, and refused for quota.
    public var refusesForQuota: Bool { self == .rateLimited }

    /// Whether the failure counts towards an outage: the provider did not answer, or answered with something
    /// unusable for this request. A rejected key and a quota refusal are answers with their own statuses; a
    /// client error in a gateway's traffic (a bad request of its user) says nothing about the provider.
    public func countsTowardsOutage(source: ResultSource) -> Bool {
        switch self {
        case .auth, .rateLimited, .proxy: return false
        case .http4xx: return source == .probe
        case .timeout, .connect, .dns, .tls, .http5xx, .badResponse, .modelMissing: return true
        }
    }

    /// Whether the provider's answer proves it is there: any HTTP answer of its own that is not a server error
    /// (feeds the circuit breaker).
    public var providerAnswered: Bool {
        switch self {
        case .auth, .rateLimited, .http4xx, .modelMissing: return true
        case .timeout, .connect, .dns, .tls, .http5xx, .badResponse, .proxy: return false
        }
    }

    /// The exporter's own egress failed before the request reached the provider (see `proxy`): the result is
    /// counted and shown as the last error, but it is no evidence about the provider — not in its window, its
    /// outage runs, its error rate nor its breaker. Otherwise a broken egress proxy would page for every provider.
    public var saysNothingAboutProvider: Bool { self == .proxy }

    /// Failures where nothing answered at all: asking again at once costs nothing and settles it.
    public var isConnectionLevel: Bool { self == .connect || self == .dns || self == .tls }

    /// The reason an HTTP status code stands for, or nil for a 2xx/3xx.
    public static func forHTTPStatus(_ status: Int) -> FailureReason? {
        switch status {
        case 200..<400: return nil
        case 401, 403: return .auth
        case 402, 429: return .rateLimited
        case 400..<500: return .http4xx
        case 500..<600: return .http5xx
        default: return .badResponse
        }
    }

    /// The reason a reported failure stands for (a gateway's outcome): its HTTP status when it names one, else
    /// words in its error text, else `.badResponse`.
    public static func forReportedFailure(statusCode: Int?, errorText: [UInt8]?) -> FailureReason {
        if let statusCode, let reason = forHTTPStatus(statusCode) { return reason }
        if let errorText, let reason = forErrorText(errorText) { return reason }
        return .badResponse
    }

    /// Classifies an error message by key words, ignoring ASCII case; nil when none is found. The most
    /// specific cause is tried first, since messages chain causes ("TLS handshake failed while connecting",
    /// "connect timed out").
    public static func forErrorText(_ text: [UInt8]) -> FailureReason? {
        for (words, reason) in errorTextKeywords where words.contains(where: { containsIgnoringASCIICase(text, $0) }) {
            return reason
        }
        return nil
    }
}

/// "rate" and "limit" must be adjacent: "failed to generate: context limit" is not a rate limit.
private let errorTextKeywords: [([[UInt8]], FailureReason)] = [
    (["timeout", "timed out"], .timeout),
    (["rate limit", "rate-limit", "rate_limit", "ratelimit", "429", "too many requests"], .rateLimited),
    (["tls", "ssl", "certificate"], .tls),
    (["dns", "resolve"], .dns),
    (["connect", "refused"], .connect),
    // Exception class names as SDKs and gateways report them (`InternalServerError`, `AuthenticationError`, ...).
    (["internalserver", "internal server", "serviceunavailable", "service unavailable", "overloaded"], .http5xx),
    (["authentication", "permissiondenied", "permission denied"], .auth),
].map { words, reason in (words.map { Array($0.utf8) }, reason) }

/// Whether `text` holds `word` (lower-case ASCII), ignoring ASCII case in `text`. Byte-wise and allocation-free:
/// the outcome decoder calls it on every failed result of a batch.
private func containsIgnoringASCIICase(_ text: [UInt8], _ word: [UInt8]) -> Bool {
    guard let first = word.first, text.count >= word.count else { return false }
    func lower(_ byte: UInt8) -> UInt8 { byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte }
    var start = 0
    while start + word.count <= text.count {
        if lower(text[start]) == first {
            var offset = 1
            while offset < word.count, lower(text[start + offset]) == word[offset] { offset += 1 }
            if offset == word.count { return true }
        }
        start += 1
    }
    return false
}
