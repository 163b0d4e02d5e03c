#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HealthCore

/// The key a source points at: nil for `.none`. A missing variable or unreadable file is an error naming the
/// variable or file, never a key.
public func resolveAPIKey(_ source: APIKeySource, environment: [String: String]) throws(ConfigErrors) -> Secret? {
    switch source {
    case .none:
        return nil
    case .inline(let secret):
        return secret
    case .environment(let name):
        let shownName = looksLikeSecret(name) ? "<redacted>" : name
        guard let value = environment[name] else {
            throw keyError(file: "environment", field: "api_key_env", "environment variable \(shownName) is not set")
        }
        let key = value.trimmingWhitespaceAndNewlines()
        guard !key.isEmpty else {
            throw keyError(file: "environment", field: "api_key_env", "environment variable \(shownName) is empty")
        }
        return Secret(key)
    case .file(let path):
        let shownPath = looksLikeSecret(path) ? "<redacted>" : path
        switch readTextFile(path) {
        case .failure(let problem):
            throw keyError(file: shownPath, field: "api_key_file", "cannot read API key file: \(problem.reason)")
        case .success(let contents):
            let key = contents.trimmingWhitespaceAndNewlines()
            guard !key.isEmpty else { throw keyError(file: shownPath, field: "api_key_file", "API key file is empty") }
            return Secret(key)
        }
    }
}

private func keyError(file: String, field: String, _ message: String) -> ConfigErrors {
    ConfigErrors([ConfigError(file: file, line: 0, column: 0, field: field, message: message)])
}
