import HealthCore
import Testing

@testable import ExporterConfig

private let everyVariable = [
    "OPENAI_API_KEY": "k1", "ANTHROPIC_API_KEY": "k2", "GROQ_API_KEY": "k3", "TOGETHER_API_KEY": "k4",
    "OPENROUTER_API_KEY": "k5", "GEMINI_API_KEY": "k6", "MISTRAL_API_KEY": "k7", "NVIDIA_API_KEY": "k8",
    "DEEPSEEK_API_KEY": "k9", "DASHSCOPE_API_KEY": "k10", "HF_TOKEN": "k11", "OLLAMA_HOST": "127.0.0.1:11434",
    "UNRELATED": "x",
]

@Test func discoversEveryKnownProviderInAStableOrder() {
    let providers = discoverProviders(environment: everyVariable)
    #expect(
        providers.map(\.name) == [
            "openai", "anthropic", "groq", "together", "openrouter", "gemini", "mistral", "nvidia", "deepseek",
            "qwen", "huggingface", "ollama",
        ])
    let expected: [String: (ProviderKind, String, APIKeySource)] = [
        "openai": (.openai, "https://api.openai.com/v1", .environment("OPENAI_API_KEY")),
        "anthropic": (.anthropic, "https://api.anthropic.com", .environment("ANTHROPIC_API_KEY")),
        "groq": (.openai, "https://api.groq.com/openai/v1", .environment("GROQ_API_KEY")),
        "together": (.openai, "https://api.together.xyz/v1", .environment("TOGETHER_API_KEY")),
        "openrouter": (.openrouter, "https://openrouter.ai/api/v1", .environment("OPENROUTER_API_KEY")),
        "gemini": (.gemini, "https://generativelanguage.googleapis.com", .environment("GEMINI_API_KEY")),
        "mistral": (.openai, "https://api.mistral.ai/v1", .environment("MISTRAL_API_KEY")),
        "nvidia": (.openai, "https://integrate.api.nvidia.com/v1", .environment("NVIDIA_API_KEY")),
        "deepseek": (.openai, "https://api.deepseek.com/v1", .environment("DEEPSEEK_API_KEY")),
        "qwen": (.openai, "https://dashscope-intl.aliyuncs.com/compatible-mode/v1", .environment("DASHSCOPE_API_KEY")),
        "huggingface": (.huggingface, "https://huggingface.co", .environment("HF_TOKEN")),
        "ollama": (.ollama, "http://127.0.0.1:11434", .none),
    ]
    for provider in providers {
        let (kind, url, key) = expected[provider.name]!
        #expect(provider.kind == kind, "\(provider.name)")
        #expect(provider.baseURL == url, "\(provider.name)")
        #expect(provider.apiKey == key, "\(provider.name)")
        #expect(provider.models.isEmpty)
        #expect(provider.headers.isEmpty)
    }
}

@Test func discoveryNeverCopiesKeyValues() {
    let canary = "sk-canary-3b1f0c9e"
    let providers = discoverProviders(environment: ["OPENAI_API_KEY": canary, "HF_TOKEN": canary])
    #expect(providers.count == 2)
    #expect(!"\(providers)".contains(canary))
    #expect(!redactedDescription(ExporterConfiguration(providers: providers)).contains(canary))
}

@Test func emptyOrBlankVariablesAreIgnored() {
    #expect(discoverProviders(environment: [:]).isEmpty)
    #expect(discoverProviders(environment: ["OPENAI_API_KEY": "", "GROQ_API_KEY": "  ", "OLLAMA_HOST": ""]).isEmpty)
}

@Test func geminiPrefersGeminiKeyThenGoogleKey() {
    let both = discoverProviders(environment: ["GEMINI_API_KEY": "a", "GOOGLE_API_KEY": "b"])
    #expect(both.map(\.apiKey) == [.environment("GEMINI_API_KEY")])
    let googleOnly = discoverProviders(environment: ["GEMINI_API_KEY": "", "GOOGLE_API_KEY": "b"])
    #expect(googleOnly.map(\.name) == ["gemini"])
    #expect(googleOnly.map(\.apiKey) == [.environment("GOOGLE_API_KEY")])
}

@Test(arguments: [
    ("127.0.0.1:11434", "http://127.0.0.1:11434"),
    ("localhost", "http://localhost:11434"),
    ("0.0.0.0", "http://127.0.0.1:11434"),
    ("0.0.0.0:8080", "http://127.0.0.1:8080"),
    ("http://ollama.internal:11434/", "http://ollama.internal:11434"),
    ("https://ollama.example.com", "https://ollama.example.com"),
    (" gpu-box:11434 ", "http://gpu-box:11434"),
])
func ollamaHostBecomesABaseURL(_ host: String, _ url: String) {
    #expect(ollamaBaseURL(fromHost: host) == url)
    #expect(discoverProviders(environment: ["OLLAMA_HOST": host]).map(\.baseURL) == [url])
}

@Test func unusableOllamaHostIsSkipped() {
    #expect(ollamaBaseURL(fromHost: "ftp://x") == nil)
    #expect(discoverProviders(environment: ["OLLAMA_HOST": "ftp://x"]).isEmpty)
}
