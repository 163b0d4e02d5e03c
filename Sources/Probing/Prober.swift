import HealthCore

/// Probes one provider: the cheap model-list request, the per-model checks, and (opt-in) a minimal
/// completion per model.
public protocol Prober: Sendable {
    /// Probes `provider` once. Throws only `CancellationError`, when the surrounding task is cancelled;
    /// every failure of the provider is described by the outcome.
    func probe(_ provider: ProviderSettings, apiKey: Secret?) async throws -> ProbeOutcome
}

/// The prober of every kind: the kind's spec says what to send and how to read the answers.
struct KindProber: Prober {
    let spec: any ProviderKindSpec
    let client: HTTPProbeClient
    let environment: [String: String]

    func probe(_ provider: ProviderSettings, apiKey: Secret?) async throws -> ProbeOutcome {
        let credentials: ProbeCredentials
        do {
            credentials = try spec.credentials(for: provider, apiKey: apiKey, environment: environment)
        } catch {
            // Nothing is sent: the provider is reported unauthorized, which says "fix the credentials".
            let context = ProbeContext(provider: provider, spec: spec, credentials: ProbeCredentials(), client: client)
            return context.outcome(
                providerCheck: .failed(.auth, statusCode: nil, latencySeconds: 0, error: error.message), rateLimit: nil)
        }
        let context = ProbeContext(provider: provider, spec: spec, credentials: credentials, client: client)
        return try await spec.probe(context)
    }
}
