#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HealthCore

/// The model IDs a provider listed, and how a configured model name is matched against them (by the kind's
/// normalisation: Gemini's optional `models/` prefix, Ollama's implied `:latest`, Bedrock's inference profiles).
public struct ModelCatalog: Sendable {
    let spec: any ProviderKindSpec
    public let ids: Set<String>

    public init(kind: ProviderKind, ids: some Sequence<String>) {
        self.init(spec: ProviderKinds.spec(for: kind), ids: ids)
    }

    init(spec: any ProviderKindSpec, ids: some Sequence<String>) {
        self.spec = spec
        self.ids = Set(ids.map(spec.normalizedModelName))
    }

    /// Whether a configured model is listed.
    public func contains(_ configured: String) -> Bool {
        spec.listedNames(for: spec.normalizedModelName(configured)).contains { ids.contains($0) }
    }
}

/// Reading JSON bodies: the pieces several kinds share. Each returns nil when the body is not the expected shape.
enum ModelListParsing {
    static func object(_ body: [UInt8]) -> [String: Any]? {
        JSONText.object(body)
    }

    /// OpenAI-compatible, OpenRouter and Azure: `{"data":[{"id":…}]}`. Anthropic pages have the same `data`.
    static func dataIDs(_ body: [UInt8]) -> [String]? {
        guard let data = object(body)?["data"] as? [Any] else { return nil }
        return data.compactMap { ($0 as? [String: Any])?["id"] as? String }
    }
}
