import Foundation
import HealthCore

/// The model IDs a provider listed, and how a configured model name is matched against them.
public struct ModelCatalog: Sendable, Equatable {
    public let kind: ProviderKind
    public let ids: Set<String>

    public init(kind: ProviderKind, ids: some Sequence<String>) {
        self.kind = kind
        self.ids = Set(ids.map { Self.normalized($0, kind: kind) })
    }

    /// Whether a configured model is listed. Gemini's `models/` prefix is optional; an Ollama model
    /// without a tag is the `:latest` one.
    public func contains(_ configured: String) -> Bool {
        let name = Self.normalized(configured, kind: kind)
        if ids.contains(name) { return true }
        if kind == .ollama, !name.contains(":") { return ids.contains(name + ":latest") }
        return false
    }

    static func normalized(_ id: String, kind: ProviderKind) -> String {
        kind == .gemini && id.hasPrefix("models/") ? String(id.dropFirst("models/".count)) : id
    }
}

/// Reading model lists out of response bodies. Each returns nil when the body is not the expected shape.
enum ModelListParsing {
    static func object(_ body: [UInt8]) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }

    /// OpenAI-compatible and OpenRouter: `{"data":[{"id":…}]}`. Anthropic pages have the same `data`.
    static func dataIDs(_ body: [UInt8]) -> [String]? {
        guard let data = object(body)?["data"] as? [Any] else { return nil }
        return data.compactMap { ($0 as? [String: Any])?["id"] as? String }
    }

    /// Gemini: `{"models":[{"name":"models/…"}], "nextPageToken": …}`.
    static func geminiPage(_ body: [UInt8]) -> (names: [String], next: String?)? {
        guard let root = object(body) else { return nil }
        // An empty account answers `{}`.
        let models = root["models"] as? [Any] ?? []
        if root["models"] != nil, root["models"] as? [Any] == nil { return nil }
        let names = models.compactMap { ($0 as? [String: Any])?["name"] as? String }
        let next = (root["nextPageToken"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        return (names, next)
    }

    /// Anthropic: `{"data":[…], "has_more": true, "last_id": "…"}`.
    static func anthropicPage(_ body: [UInt8]) -> (ids: [String], nextAfter: String?)? {
        guard let root = object(body), let ids = dataIDs(body) else { return nil }
        let more = root["has_more"] as? Bool ?? false
        return (ids, more ? root["last_id"] as? String : nil)
    }

    /// Ollama: `{"models":[{"name":"llama3:latest","model":"llama3:latest"}]}`.
    static func ollamaNames(_ body: [UInt8]) -> [String]? {
        guard let models = object(body)?["models"] as? [Any] else { return nil }
        return models.flatMap { entry -> [String] in
            guard let entry = entry as? [String: Any] else { return [] }
            return [entry["name"] as? String, entry["model"] as? String].compactMap { $0 }
        }
    }
}
