#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HealthCore

/// The registry: every provider kind's spec. A kind is its file in Probing/Kinds (which also declares its name,
/// `ProviderKind.azure`), its tests, and one line here.
enum ProviderKinds {
    static let specs: [any ProviderKindSpec] = [
        OpenAIKind(),
        OpenRouterKind(),
        AnthropicKind(),
        GeminiKind(),
        OllamaKind(),
        HuggingFaceKind(),
        AzureKind(),
        BedrockKind(),
    ]

    private static let byKind = Dictionary(uniqueKeysWithValues: specs.map { ($0.kind, $0) })

    /// The spec of a registered kind. The configuration parser accepts only registered kinds, so every probed
    /// provider has one.
    static func spec(for kind: ProviderKind) -> any ProviderKindSpec {
        guard let spec = byKind[kind] else { preconditionFailure("provider kind \(kind.rawValue) is not registered") }
        return spec
    }
}

/// The prober for a provider kind. `environment` is where kinds that read credentials from it (bedrock's
/// `AWS_*`) find them.
public func makeProber(
    for kind: ProviderKind, client: HTTPProbeClient,
    environment: [String: String] = ProcessInfo.processInfo.environment
) -> any Prober {
    KindProber(spec: ProviderKinds.spec(for: kind), client: client, environment: environment)
}

/// What the configuration needs to know of a kind, read from its spec.
extension ProviderKind {
    /// Every registered kind, in registration order (the order the configuration's error messages list them).
    package static var registered: [ProviderKind] { ProviderKinds.specs.map(\.kind) }

    /// Names of the configuration keys only this kind takes.
    package var settingKeys: [String] { ProviderKinds.spec(for: self).settings.map(\.key) }

    /// Every kind-only configuration key, of any kind.
    package static var allSettingKeys: [String] {
        var seen = Set<String>()
        return ProviderKinds.specs.flatMap { $0.settings.map(\.key) }.filter { seen.insert($0).inserted }
    }

    /// Whether `key` is read without ever being echoed (a path, a profile name).
    package func settingMayHoldSecret(_ key: String) -> Bool {
        ProviderKinds.spec(for: self).settings.first { $0.key == key }?.mayHoldSecret ?? false
    }

    /// What is wrong with `value` for `key`, nil when it is fine.
    package func settingProblem(_ key: String, value: String) -> String? {
        ProviderKinds.spec(for: self).settings.first { $0.key == key }?.problem(value)
    }

    /// Keys the kind requires, and the defaults of those left out.
    package var requiredSettingKeys: [String] { ProviderKinds.spec(for: self).settings.filter(\.required).map(\.key) }
    package var settingDefaults: [String: String] {
        var defaults: [String: String] = [:]
        for setting in ProviderKinds.spec(for: self).settings { defaults[setting.key] = setting.defaultValue }
        return defaults
    }

    /// Keys set instead of an API key.
    package var settingKeysReplacingAPIKey: [String] {
        ProviderKinds.spec(for: self).settings.filter(\.replacesAPIKey).map(\.key)
    }

    package var takesAPIKey: Bool { ProviderKinds.spec(for: self).takesAPIKey }

    /// The kind's endpoint when `base_url` is left out; nil when it has none to guess.
    package func defaultBaseURL(options: [String: String]) -> String? {
        ProviderKinds.spec(for: self).defaultBaseURL(options: options)
    }

    /// Whether the opt-in completion probe applies (HuggingFace has no completion request).
    package var hasCompletionProbe: Bool { ProviderKinds.spec(for: self).completionAnswerField != nil }
}
