import HealthCore
import Probing

extension SimulatedProvider {
    /// The demo's simulated providers: by default the six behaviours (healthy, slow, flaky, rate-limited,
    /// unauthorized, down), one per kind, with a few realistic models each. With `providers`/`modelsPerProvider`
    /// the same behaviours and kinds repeat to the requested size (for benchmarks).
    public static func demoFleet(providers: Int? = nil, modelsPerProvider: Int? = nil) -> [SimulatedProvider] {
        let count = max(0, providers ?? demoBehaviours.count)
        return (0..<count).map { index in
            let (label, behaviour) = demoBehaviours[index % demoBehaviours.count]
            let kind = demoKinds[index % demoKinds.count]
            // "demo-healthy" … "demo-down"; at larger sizes "demo-healthy-2", "demo-slow-2", … for the repeats.
            let round = index / demoBehaviours.count
            let name = round == 0 ? "demo-\(label)" : "demo-\(label)-\(round + 1)"
            let models = modelsPerProvider.map { demoModelNames(kind: kind, count: $0) } ?? demoModels[kind] ?? []
            return SimulatedProvider(name: name, kind: kind, models: models, behaviour: behaviour)
        }
    }

    static let demoBehaviours: [(String, SimulatedBehaviour)] = [
        ("healthy", .healthy),
        // Above the default 1 s p95 threshold: degraded.
        ("slow", .slow(seconds: 1.2)),
        // One request in four fails: an error rate well above the default 5 %.
        ("flaky", .flaky(failEvery: 4)),
        ("ratelimited", .rateLimited),
        ("unauthorized", .unauthorized),
        ("down", .closeConnection),
    ]

    static let demoKinds: [ProviderKind] = [.openai, .anthropic, .gemini, .openrouter, .huggingface, .ollama]

    static let demoModels: [ProviderKind: [String]] = [
        .openai: ["gpt-4o", "gpt-4o-mini", "o3-mini"],
        .anthropic: ["claude-sonnet-4", "claude-3-5-haiku"],
        .gemini: ["gemini-2.0-flash", "gemini-1.5-pro"],
        .openrouter: ["openai/gpt-4o", "meta-llama/llama-3.1-70b-instruct"],
        .huggingface: ["meta-llama/Llama-3.1-8B-Instruct", "mistralai/Mistral-7B-Instruct-v0.3"],
        .ollama: ["llama3:latest", "qwen2.5:7b"],
    ]

    static func demoModelNames(kind: ProviderKind, count: Int) -> [String] {
        (0..<max(0, count)).map { index in
            let number = String(index + 1).leftPadded(to: 4)
            switch kind {
            case .ollama: return "model-\(number):latest"
            case .openrouter, .huggingface: return "sim/model-\(number)"
            default: return "model-\(number)"
            }
        }
    }
}

extension ProviderSimulatorServer {
    /// Settings that monitor one simulated provider (its kind, base URL and models), or nil for an unknown name.
    public func providerSettings(for providerName: String) -> ProviderSettings? {
        guard let provider = providers.first(where: { $0.name == providerName }) else { return nil }
        return ProviderSettings(
            name: provider.name, kind: provider.kind, baseURL: baseURL(for: provider.name),
            models: provider.models.map { ModelSettings(name: $0) })
    }

    /// Settings for every simulated provider, sorted by name.
    public func providerSettings() -> [ProviderSettings] {
        providers.compactMap { providerSettings(for: $0.name) }
    }
}
