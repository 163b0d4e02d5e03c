#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HealthCore

/// The verdict on one HTTP exchange (or on one model), before it becomes a `ModelResult`.
public struct ProbeCheck: Sendable, Equatable {
    public var success: Bool
    public var reason: FailureReason?
    public var statusCode: Int?
    public var latencySeconds: Double
    /// Short message; never contains a secret.
    public var error: String?
    /// What the exchange did: the check request unless it was a completion.
    public var operation: OperationName = .listModels

    public static func passed(statusCode: Int?, latencySeconds: Double) -> ProbeCheck {
        ProbeCheck(success: true, reason: nil, statusCode: statusCode, latencySeconds: latencySeconds, error: nil)
    }

    public static func failed(
        _ reason: FailureReason, statusCode: Int?, latencySeconds: Double, error: String
    ) -> ProbeCheck {
        ProbeCheck(success: false, reason: reason, statusCode: statusCode, latencySeconds: latencySeconds, error: error)
    }

    /// A failed check on a response that came back but could not be used.
    func unusable(_ message: String) -> ProbeCheck {
        .failed(.badResponse, statusCode: statusCode, latencySeconds: latencySeconds, error: message)
    }

    /// Judges an exchange by transport outcome and HTTP status. Text from the body is redacted of `secret`.
    public static func judging(_ result: HTTPProbeResult, secret: String?) -> ProbeCheck {
        judging(result, secrets: secret.map { [$0] } ?? [])
    }

    /// Judges an exchange by transport outcome and HTTP status. Text from the body is redacted of `secrets`.
    public static func judging(_ result: HTTPProbeResult, secrets: [String]) -> ProbeCheck {
        judging(result, secrets: secrets, errorMessage: providerErrorMessage)
    }

    /// The same, reading an error body's message with `errorMessage` (a kind's own error shape).
    static func judging(
        _ result: HTTPProbeResult, secrets: [String], errorMessage: ([UInt8]) -> String?
    ) -> ProbeCheck {
        switch result {
        case .failure(let reason, let message, let latency):
            return .failed(reason, statusCode: nil, latencySeconds: latency, error: message)
        case .response(let response, let latency):
            // The client follows redirects within the origin; one that reaches here points elsewhere (the request
            // carries the key) or nowhere usable. Its body is not what was asked for.
            if (300..<400).contains(response.statusCode) {
                let hasLocation = response.headers.contains { $0.name.lowercased() == "location" }
                return .failed(
                    .badResponse, statusCode: response.statusCode, latencySeconds: latency,
                    error: "HTTP \(response.statusCode): "
                        + (hasLocation ? "redirect to another origin, not followed" : "redirect without a location"))
            }
            guard let reason = FailureReason.forHTTPStatus(response.statusCode) else {
                return .passed(statusCode: response.statusCode, latencySeconds: latency)
            }
            return .failed(
                reason, statusCode: response.statusCode, latencySeconds: latency,
                error: httpErrorMessage(response, secrets: secrets, errorMessage: errorMessage))
        }
    }
}

/// "HTTP 401: Incorrect API key provided: <secret>." — the status plus the provider's own message, if any.
func httpErrorMessage(
    _ response: HTTPProbeResponse, secrets: [String], errorMessage: ([UInt8]) -> String? = providerErrorMessage
) -> String {
    let status = "HTTP \(response.statusCode)"
    guard let message = errorMessage(response.body), !message.isEmpty else { return status }
    return status + ": " + redact(message, secrets: secrets, maxLength: 120)
}

/// The human message in a provider's error body: `error.message`, `error` (a string) or `message` (the shape
/// most kinds share; a kind with another reads its own in `ProviderKindSpec.errorMessage`).
func providerErrorMessage(_ body: [UInt8]) -> String? {
    guard !body.isEmpty, body.count <= 1 << 20,
        let json = JSONText.parse(body)
    else { return nil }
    let root = (json as? [Any])?.first ?? json
    guard let object = root as? [String: Any] else { return nil }
    if let error = object["error"] as? [String: Any], let message = error["message"] as? String { return message }
    if let error = object["error"] as? String { return error }
    return object["message"] as? String
}
