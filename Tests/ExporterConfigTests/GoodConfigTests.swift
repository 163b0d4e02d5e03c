import Foundation
import HealthCore
import Probing
import Testing

@testable import ExporterConfig

private func load(_ name: String) throws -> ExporterConfiguration {
    try loadConfiguration(path: try testdataPath("good/\(name)"))
}

@Test func everyGoodFileParses() throws {
    let names = try FileManager.default.contentsOfDirectory(atPath: try testdataPath("good")).filter {
        $0.hasSuffix(".yml")
    }
    #expect(names.count >= 5)
    for name in names {
        #expect(throws: Never.self, "\(name)") { try load(name) }
    }
}

@Test func minimalConfigGetsEveryDefault() throws {
    let config = try load("minimal.yml")
    #expect(config.global == GlobalSettings())
    #expect(
        config.providers == [
            ProviderSettings(
                name: "openai", kind: .openai, baseURL: "https://api.openai.com/v1",
                apiKey: .environment("OPENAI_API_KEY"))
        ])
    #expect(config.providers[0].modelNames == [wholeAPIModelName])
}

@Test func fullConfigReadsEverySetting() throws {
    let config = try load("full.yml")
    let global = config.global
    #expect(global.aggregationIntervalSeconds == 15)
    #expect(global.windowSeconds == 600)
    #expect(global.latencyBuckets == [0.1, 0.5, 1, 2.5, 5, 30])
    #expect(global.modelHistograms == false)
    #expect(global.probeConcurrency == 16)
    #expect(global.statusHoldCycles == 4)
    #expect(global.score.availabilityWeight == 0.5)
    #expect(global.score.errorRateWeight == 0.25)
    #expect(global.score.latencyWeight == 0.25)
    #expect(global.score.latencyGoodSeconds == 0.5)
    #expect(global.score.latencyBadSeconds == 8)
    #expect(config.providers.map(\.name) == ["openai", "anthropic", "openrouter", "local"])

    // openai overrides what global sets; per-key overrides keep the other inherited keys.
    let openai = config.providers[0]
    #expect(openai.baseURL == "https://api.openai.com/v1")
    #expect(openai.proxyURL == nil)
    #expect(config.providers[1].proxyURL == Secret("http://proxy.internal:3128"))
    #expect(openai.aliases == [])
    #expect(config.providers[1].aliases == ["claude", "anthropic-prod"])
    #expect(openai.headers == ["X-Title": "my-gateway"])
    #expect(openai.models == [ModelSettings(name: "gpt-4o-mini"), ModelSettings(name: "o3-mini", maxTokens: 64)])
    #expect(openai.intervalSeconds == 60)
    #expect(openai.timeoutSeconds == 10)
    #expect(openai.jitterSeconds == 5)
    #expect(openai.completionProbe == false)
    #expect(openai.maxProbesPerHour == 600)
    #expect(openai.thresholds.p95LatencySeconds == 1.5)
    #expect(openai.thresholds.errorRate == 0.1)
    #expect(openai.thresholds.completionP95LatencySeconds == 30)
    #expect(openai.thresholds.rateLimitRemainingRatio == 0.2)
    #expect(openai.breaker.failureThreshold == 10)
    #expect(openai.breaker.openSeconds == 120)
    #expect(openai.breaker.successThreshold == 2)

    // anthropic inherits everything from global.
    let anthropic = config.providers[1]
    #expect(anthropic.kind == .anthropic)
    #expect(anthropic.baseURL == "https://api.anthropic.com")
    #expect(anthropic.apiKey == .file("/run/secrets/anthropic"))
    #expect(anthropic.intervalSeconds == 120)
    #expect(anthropic.timeoutSeconds == 20)
    #expect(anthropic.jitterSeconds == 0)
    #expect(anthropic.completionProbe == true)
    #expect(anthropic.maxProbesPerHour == 120)
    #expect(anthropic.thresholds.p95LatencySeconds == 2)
    #expect(anthropic.breaker.failureThreshold == 3)

    let openrouter = config.providers[2]
    #expect(openrouter.baseURL == "https://openrouter.ai/api/v1")
    #expect(openrouter.apiKey == .inline(Secret("sk-or-v1-inline-example")))
    #expect(openrouter.headers == ["HTTP-Referer": "https://example.com", "X-Title": "provider-health-exporter"])

    let local = config.providers[3]
    #expect(local.kind == .ollama)
    #expect(local.apiKey == .none)
    #expect(local.models.map(\.name) == ["llama3.2"])
}

@Test func wellKnownNamesGiveDefaultBaseURLs() throws {
    let config = try load("well-known-names.yml")
    let urls = Dictionary(uniqueKeysWithValues: config.providers.map { ($0.name, $0.baseURL) })
    #expect(urls["groq"] == "https://api.groq.com/openai/v1")
    #expect(urls["Together"] == "https://api.together.xyz/v1")
    #expect(urls["qwen"] == "https://dashscope-intl.aliyuncs.com/compatible-mode/v1")
    #expect(urls["gemini"] == "https://generativelanguage.googleapis.com")
    #expect(urls["hf"] == "https://huggingface.co")
    #expect(urls["groq-via-openrouter"] == "https://openrouter.ai/api/v1")
    #expect(urls[#"Quoted "name" ✓ ünïcode"#] == "http://127.0.0.1:11434")
}

@Test func anchorsAndMergeKeysShareSettings() throws {
    let config = try load("anchors.yml")
    #expect(config.providers.map(\.name) == ["groq", "mistral"])
    #expect(config.providers.map(\.intervalSeconds) == [30, 30])
    #expect(config.providers.map(\.timeoutSeconds) == [5, 8])
    #expect(config.providers.map(\.breaker.failureThreshold) == [2, 2])
    #expect(config.providers[1].baseURL == "https://api.mistral.ai/v1")
}

@Test func configWithoutProvidersIsValid() throws {
    let config = try load("no-providers.yml")
    #expect(config.providers.isEmpty)
    #expect(config.global.aggregationIntervalSeconds == 10)
}

@Test func nullValuesMeanNotSet() throws {
    let config = try parseConfiguration(
        yaml: "global:\nproviders:\n  - name: a\n    kind: openai\n    models:\n    thresholds: ~\n", filename: "c.yml")
    #expect(config.global == GlobalSettings())
    #expect(config.providers.first?.models == [])
    #expect(config.providers.first?.thresholds == StatusThresholds())
}

@Test func scalarsAreReadTheYAMLWay() throws {
    let yaml = """
        global:
          probe_concurrency: 1_000
          model_histograms: off
          interval: 90
        providers:
          - name: 42
            kind: openai
            completion_probe: yes
            timeout: 2.5
        """
    let config = try parseConfiguration(yaml: yaml, filename: "c.yml")
    #expect(config.global.probeConcurrency == 1000)
    #expect(config.global.modelHistograms == false)
    let provider = try #require(config.providers.first)
    #expect(provider.name == "42")
    #expect(provider.intervalSeconds == 90)
    #expect(provider.completionProbe)
    #expect(provider.timeoutSeconds == 2.5)
}

@Test func exampleConfigurationParses() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let config = try loadConfiguration(path: root.appendingPathComponent("examples/config.yml").path)
    #expect(config.providers.map(\.name) == ["openai", "anthropic", "groq", "openrouter", "self-hosted", "ollama"])
    #expect(config.providers[2].baseURL == "https://api.groq.com/openai/v1")
    #expect(config.providers[2].intervalSeconds == 30)
    // The documented defaults are the real ones.
    #expect(config.global == GlobalSettings())
    let defaults = ProviderSettings(name: "x", kind: .openai, baseURL: "")
    let openai = config.providers[0]
    #expect(openai.intervalSeconds == defaults.intervalSeconds)
    #expect(openai.timeoutSeconds == defaults.timeoutSeconds)
    #expect(openai.jitterSeconds == defaults.jitterSeconds)
    #expect(openai.maxProbesPerHour == defaults.maxProbesPerHour)
    #expect(openai.completionProbe == defaults.completionProbe)
    #expect(openai.thresholds == defaults.thresholds)
    #expect(openai.breaker == defaults.breaker)
}

@Test func cloudKindsReadTheirOwnSettings() throws {
    let config = try load("cloud-kinds.yml")
    let byName = Dictionary(uniqueKeysWithValues: config.providers.map { ($0.name, $0) })
    let azure = try #require(byName["azure-east"])
    #expect(azure.kind == .azure)
    #expect(azure.kindOptions == ["api_version": "2025-04-01-preview"])
    #expect(azure.probeOperations == [.listModels, .chat])
    let entra = try #require(byName["azure-entra"])
    #expect(entra.baseURL == "https://contoso-west.openai.azure.com")
    #expect(entra.apiKey == .none)
    #expect(entra.kindOptions == ["api_version": "2024-10-21", "bearer_token_file": "/var/run/secrets/azure/token"])
    let bedrock = try #require(byName["bedrock-eu"])
    #expect(bedrock.baseURL == "https://bedrock.eu-central-1.amazonaws.com")
    #expect(bedrock.kindOptions == ["region": "eu-central-1", "profile": "monitoring"])
}
