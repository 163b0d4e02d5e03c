#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HealthCore
import Synchronization

/// Everything one probe of one provider shares: settings, its kind's spec, credentials, the request counter.
final class ProbeContext: Sendable {
    let provider: ProviderSettings
    let spec: any ProviderKindSpec
    let client: HTTPProbeClient
    /// Unix time the probe started.
    let timestamp: Double
    /// Headers every request of this probe carries (the kind's defaults, configured extras, then authentication).
    let headers: [(String, String)]
    /// Signs each request once it is final (AWS SigV4), for kinds that sign.
    private let sign: (@Sendable (inout HTTPProbeRequest, Date) -> Void)?
    /// The credentials and the credential header values: never to be repeated from a response.
    let secrets: [String]
    private let sent = Mutex(0)

    init(provider: ProviderSettings, spec: any ProviderKindSpec, credentials: ProbeCredentials, client: HTTPProbeClient) {
        self.provider = provider
        self.spec = spec
        self.client = client
        self.timestamp = Date().timeIntervalSince1970
        let configured = provider.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let overridden = Set(configured.map { $0.0.lowercased() })
        self.headers =
            spec.defaultHeaders.filter { !overridden.contains($0.0.lowercased()) } + configured + credentials.headers
        self.sign = credentials.sign
        let proxyPassword = provider.proxyURL.flatMap { try? ProbeProxy.parse($0.value).get().password }
        self.secrets = provider.secrets(credentials: credentials.secrets + (proxyPassword.map { [$0] } ?? []))
    }

    var requestsSent: Int { sent.withLock { $0 } }

    /// `{base}{path}` with a percent-encoded query; the base URL's trailing slashes are ignored.
    func url(_ path: String, query: [(String, String)] = []) -> String {
        endpointURL(provider.baseURL, path, query: query)
    }

    /// Sends one request under the provider's deadline, and counts it.
    func send(_ url: String, method: String = "GET", body: [UInt8]? = nil) async throws -> HTTPProbeResult {
        sent.withLock { $0 += 1 }
        var headers = self.headers
        if body != nil { headers.append(("Content-Type", "application/json")) }
        headers.append(("Accept", "application/json"))
        var request = HTTPProbeRequest(
            method: method, url: url, headers: headers, body: body, timeoutSeconds: provider.timeoutSeconds,
            proxyURL: provider.proxyURL?.value)
        sign?(&request, Date())
        return try await client.send(request)
    }

    /// Judges an exchange by its status and the kind's error bodies, keeping the credentials out of the message.
    func check(_ result: HTTPProbeResult) -> ProbeCheck {
        var check = ProbeCheck.judging(result, secrets: secrets, errorMessage: spec.errorMessage)
        if !check.success, let response = result.response, (400..<600).contains(response.statusCode),
            let reason = spec.failureReason(for: response)
        {
            check.reason = reason
        }
        return check
    }

    /// The rate-limit state an exchange reported in the kind's families, nil when it reported none.
    func rateLimit(from result: HTTPProbeResult?) -> RateLimitSnapshot? {
        guard let response = result?.response else { return nil }
        let snapshot = parseRateLimit(
            headers: response.headers, body: response.body, statusCode: response.statusCode,
            now: Date().timeIntervalSince1970, families: spec.rateLimitFamilies)
        return snapshot.isEmpty ? nil : snapshot
    }

    /// The outcome: `modelChecks` per configured model when the provider check passed, else its failure for all.
    func outcome(
        providerCheck: ProbeCheck, modelChecks: [String: ProbeCheck] = [:], rateLimit: RateLimitSnapshot?
    ) -> ProbeOutcome {
        assembleOutcome(
            provider: provider, providerCheck: providerCheck, modelChecks: modelChecks, rateLimit: rateLimit,
            requestsSent: requestsSent, timestamp: timestamp)
    }
}

/// `{base}{path}` with a percent-encoded query; the base URL's trailing slashes are ignored.
func endpointURL(_ base: String, _ path: String, query: [(String, String)] = []) -> String {
    var base = base
    while base.hasSuffix("/") { base.removeLast() }
    guard !query.isEmpty else { return base + path }
    let encoded = query.map { "\(percentEncoded($0.0))=\(percentEncoded($0.1))" }.joined(separator: "&")
    return base + path + "?" + encoded
}

/// Builds the outcome from the provider-level check and the per-model checks. Pure.
///
/// One result per configured model; `*` (no models configured) is the provider check itself. When the
/// provider check failed, every model gets that failure.
public func assembleOutcome(
    provider: ProviderSettings, providerCheck: ProbeCheck, modelChecks: [String: ProbeCheck],
    rateLimit: RateLimitSnapshot?, requestsSent: Int, timestamp: Double
) -> ProbeOutcome {
    let results = provider.modelNames.map { model -> ModelResult in
        let check = providerCheck.success ? (modelChecks[model] ?? providerCheck) : providerCheck
        return ModelResult(
            provider: provider.name, model: model, success: check.success, reason: check.reason,
            latencySeconds: check.latencySeconds, statusCode: check.statusCode, source: .probe,
            operation: check.operation, timestamp: timestamp, error: check.error)
    }
    return ProbeOutcome(
        provider: provider.name, results: results, providerReachable: providerCheck.reason?.providerAnswered ?? true,
        reason: providerCheck.reason, statusCode: providerCheck.statusCode, rateLimit: rateLimit,
        requestsSent: requestsSent, checkLatencySeconds: requestsSent > 0 ? providerCheck.latencySeconds : nil,
        timestamp: timestamp, error: providerCheck.error)
}

/// Percent-encodes everything but RFC 3986 unreserved characters (and `/` when `keepSlash`).
func percentEncoded(_ text: String, keepSlash: Bool = false) -> String {
    var out = ""
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
            UInt8(ascii: "~"):
            out.append(Character(Unicode.Scalar(byte)))
        case UInt8(ascii: "/") where keepSlash:
            out.append("/")
        default:
            let hex = String(byte, radix: 16, uppercase: true)
            out += "%" + (hex.count == 1 ? "0" + hex : hex)
        }
    }
    return out
}
