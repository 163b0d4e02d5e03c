import HealthCore

/// Probes one provider: the cheap model-list request, the per-model checks, and (opt-in) a minimal
/// completion per model.
public protocol Prober: Sendable {
    /// Probes `provider` once. Throws only `CancellationError`, when the surrounding task is cancelled;
    /// every failure of the provider is described by the outcome.
    func probe(_ provider: ProviderSettings, apiKey: Secret?) async throws -> ProbeOutcome
}

/// The prober for a provider kind.
public func makeProber(for kind: ProviderKind, client: HTTPProbeClient) -> any Prober {
    switch kind {
    case .openai: return OpenAICompatibleProber(client: client)
    case .openrouter: return OpenRouterProber(client: client)
    case .anthropic: return AnthropicProber(client: client)
    case .gemini: return GeminiProber(client: client)
    case .ollama: return OllamaProber(client: client)
    case .huggingface: return HuggingFaceProber(client: client)
    }
}
