import HealthCore
import Probing

/// A provider known by name: its API family, default endpoint and the environment variables holding its key.
struct KnownProvider: Sendable {
    let name: String
    let kind: ProviderKind
    let baseURL: String
    /// Checked in order; the first non-empty one wins.
    let environmentVariables: [String]
    /// Other names a configuration may use for the same provider.
    var aliases: [String] = []
}

/// Well-known providers, in the order discovery lists them.
let knownProviders: [KnownProvider] = [
    KnownProvider(
        name: "openai", kind: .openai, baseURL: "https://api.openai.com/v1", environmentVariables: ["OPENAI_API_KEY"]),
    KnownProvider(
        name: "anthropic", kind: .anthropic, baseURL: "https://api.anthropic.com",
        environmentVariables: ["ANTHROPIC_API_KEY"]),
    KnownProvider(
        name: "groq", kind: .openai, baseURL: "https://api.groq.com/openai/v1", environmentVariables: ["GROQ_API_KEY"]),
    KnownProvider(
        name: "together", kind: .openai, baseURL: "https://api.together.xyz/v1",
        environmentVariables: ["TOGETHER_API_KEY"]),
    KnownProvider(
        name: "openrouter", kind: .openrouter, baseURL: "https://openrouter.ai/api/v1",
        environmentVariables: ["OPENROUTER_API_KEY"]),
    KnownProvider(
        name: "gemini", kind: .gemini, baseURL: "https://generativelanguage.googleapis.com",
        environmentVariables: ["GEMINI_API_KEY", "GOOGLE_API_KEY"], aliases: ["google"]),
    KnownProvider(
        name: "mistral", kind: .openai, baseURL: "https://api.mistral.ai/v1",
        environmentVariables: ["MISTRAL_API_KEY"]),
    KnownProvider(
        name: "nvidia", kind: .openai, baseURL: "https://integrate.api.nvidia.com/v1",
        environmentVariables: ["NVIDIA_API_KEY"], aliases: ["nim"]),
    KnownProvider(
        name: "deepseek", kind: .openai, baseURL: "https://api.deepseek.com/v1",
        environmentVariables: ["DEEPSEEK_API_KEY"]),
    KnownProvider(
        name: "qwen", kind: .openai, baseURL: "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
        environmentVariables: ["DASHSCOPE_API_KEY"], aliases: ["dashscope"]),
    KnownProvider(
        name: "huggingface", kind: .huggingface, baseURL: "https://huggingface.co",
        environmentVariables: ["HF_TOKEN"], aliases: ["hf"]),
    KnownProvider(
        name: "ollama", kind: .ollama, baseURL: "http://127.0.0.1:11434", environmentVariables: ["OLLAMA_HOST"]),
]

/// The endpoint used when a configured provider leaves out `base_url`: its well-known name's endpoint when the
/// kinds agree, else the default endpoint of its kind (nil when the kind has none: an Azure resource's own name).
func defaultBaseURL(name: String, kind: ProviderKind, options: [String: String] = [:]) -> String? {
    let lower = name.lowercased()
    if let known = knownProviders.first(where: { ($0.name == lower || $0.aliases.contains(lower)) && $0.kind == kind })
    {
        return known.baseURL
    }
    return kind.defaultBaseURL(options: options)
}
