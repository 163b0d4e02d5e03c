import HealthCore
import Probing
import ProviderSimulator

/// Runs `body` against a fresh simulator, and always shuts it down.
func withSimulator<T: Sendable>(
    _ providers: [SimulatedProvider], _ body: (ProviderSimulatorServer) async throws -> T
) async throws -> T {
    let server = try await ProviderSimulatorServer.start(providers: providers)
    do {
        let result = try await body(server)
        try await server.shutdown()
        return result
    } catch {
        try? await server.shutdown()
        throw error
    }
}

/// Settings pointing a provider of the simulator's at it.
func settings(
    _ server: ProviderSimulatorServer, _ name: String, kind: ProviderKind, models: [String] = [],
    timeout: Double = 3, completionProbe: Bool = false, maxTokens: Int = 1
) -> ProviderSettings {
    ProviderSettings(
        name: name, kind: kind, baseURL: server.baseURL(for: name),
        models: models.map { ModelSettings(name: $0, maxTokens: maxTokens) }, timeoutSeconds: timeout,
        completionProbe: completionProbe)
}

/// Probes a simulated provider once with a fresh client.
func probeOnce(_ provider: ProviderSettings, key: String? = "sk-test-key-0123456789") async throws -> ProbeOutcome {
    let client = HTTPProbeClient()
    return try await makeProber(for: provider.kind, client: client).probe(provider, apiKey: key.map(Secret.init))
}

/// The value of a header by case-insensitive name.
func header(_ headers: [(String, String)], _ name: String) -> String? {
    headers.first { $0.0.lowercased() == name.lowercased() }?.1
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

/// The kinds the simulator plays; the others (azure, bedrock) have fakes of their own in Kinds/.
let simulatedKinds: [ProviderKind] = [.openai, .openrouter, .anthropic, .gemini, .ollama, .huggingface]
