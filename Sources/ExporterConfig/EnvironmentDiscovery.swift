#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HealthCore

/// Providers found in the usual environment variables, in a fixed order. Keys are referenced by variable
/// name, never copied; empty variables are ignored. No models are configured, so each whole API is probed.
public func discoverProviders(environment: [String: String]) -> [ProviderSettings] {
    knownProviders.compactMap { known in
        guard let variable = known.environmentVariables.first(where: { !isBlank(environment[$0]) }),
            let value = environment[variable]
        else { return nil }
        if known.kind == .ollama {
            guard let baseURL = ollamaBaseURL(fromHost: value) else { return nil }
            return ProviderSettings(name: known.name, kind: .ollama, baseURL: baseURL)
        }
        return ProviderSettings(
            name: known.name, kind: known.kind, baseURL: known.baseURL, apiKey: .environment(variable))
    }
}

/// OLLAMA_HOST as Ollama's own client reads it: `host`, `host:port` or a URL; without a scheme it is http on
/// port 11434. A wildcard listen address means this machine.
func ollamaBaseURL(fromHost value: String) -> String? {
    let trimmed = value.trimmingWhitespace()
    let hasScheme = trimmed.contains("://")
    guard var components = URLComponents(string: hasScheme ? trimmed : "http://\(trimmed)"),
        let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https"
    else { return nil }
    if components.host == nil || components.host == "" || ["0.0.0.0", "::", "[::]"].contains(components.host ?? "") {
        components.host = "127.0.0.1"
    }
    if !hasScheme && components.port == nil { components.port = 11434 }
    guard let url = components.string, baseURLProblem(url) == nil else { return nil }
    return normalizedBaseURL(url)
}

private func isBlank(_ value: String?) -> Bool {
    value?.allSatisfy(\.isWhitespace) ?? true
}
