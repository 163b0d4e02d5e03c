import HealthCore

/// The reason a gateway-reported failure stands for: its HTTP status when it names one, else words in its
/// error text, else `.badResponse`.
func derivedFailureReason(statusCode: Int?, error: String?) -> FailureReason {
    if let statusCode, let reason = FailureReason.forHTTPStatus(statusCode) { return reason }
    if let error, let reason = failureReason(fromErrorText: error) { return reason }
    return .badResponse
}

/// Classifies an error message by key words, case-insensitively. The most specific cause is tried first,
/// since messages chain causes ("TLS handshake failed while connecting", "connect timed out").
func failureReason(fromErrorText text: String) -> FailureReason? {
    let lowered = text.lowercased()
    if lowered.contains("timeout") || lowered.contains("timed out") { return .timeout }
    if mentionsRateLimit(lowered) { return .rateLimited }
    if lowered.contains("tls") || lowered.contains("ssl") || lowered.contains("certificate") { return .tls }
    if lowered.contains("dns") || lowered.contains("resolve") { return .dns }
    if lowered.contains("connect") || lowered.contains("refused") { return .connect }
    return nil
}

/// "rate limit", "rate-limited", "rate_limit_exceeded", "ratelimit", "429", "too many requests". "rate"
/// and "limit" must be adjacent: "failed to generate: context limit" is not a rate limit.
private func mentionsRateLimit(_ lowered: String) -> Bool {
    lowered.contains("rate limit") || lowered.contains("rate-limit") || lowered.contains("rate_limit")
        || lowered.contains("ratelimit") || lowered.contains("429") || lowered.contains("too many requests")
}
