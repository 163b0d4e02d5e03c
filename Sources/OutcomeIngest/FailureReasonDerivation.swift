import HealthCore

/// The reason a gateway-reported failure stands for: its HTTP status when it names one, else words in its
/// error text, else `.badResponse`.
func derivedFailureReason(statusCode: Int?, errorText: [UInt8]?) -> FailureReason {
    if let statusCode, let reason = FailureReason.forHTTPStatus(statusCode) { return reason }
    if let errorText, let reason = failureReason(fromErrorText: errorText) { return reason }
    return .badResponse
}

/// Classifies an error message by key words, ignoring ASCII case. The most specific cause is tried first,
/// since messages chain causes ("TLS handshake failed while connecting", "connect timed out").
func failureReason(fromErrorText text: [UInt8]) -> FailureReason? {
    for (words, reason) in reasonKeywords where words.contains(where: { contains(text, $0) }) {
        return reason
    }
    return nil
}

/// "rate" and "limit" must be adjacent: "failed to generate: context limit" is not a rate limit.
private let reasonKeywords: [([[UInt8]], FailureReason)] = [
    (["timeout", "timed out"], .timeout),
    (["rate limit", "rate-limit", "rate_limit", "ratelimit", "429", "too many requests"], .rateLimited),
    (["tls", "ssl", "certificate"], .tls),
    (["dns", "resolve"], .dns),
    (["connect", "refused"], .connect),
].map { words, reason in (words.map { Array($0.utf8) }, reason) }

/// Whether `text` holds `word` (lower-case ASCII), ignoring ASCII case in `text`.
private func contains(_ text: [UInt8], _ word: [UInt8]) -> Bool {
    guard let first = word.first, text.count >= word.count else { return false }
    var start = 0
    while start + word.count <= text.count {
        if asciiLowercased(text[start]) == first {
            var offset = 1
            while offset < word.count, asciiLowercased(text[start + offset]) == word[offset] { offset += 1 }
            if offset == word.count { return true }
        }
        start += 1
    }
    return false
}
