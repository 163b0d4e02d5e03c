import HealthCore
import Probing

/// Keys only some kinds take (azure's `api_version`, bedrock's `region`): which ones, their defaults and checks
/// are the kind's spec's; the parser only reads them.
extension ConfigurationParser {
    /// The kind's own keys, defaults filled in. A key of another kind, a missing required one and a value its
    /// kind refuses are reported here. Values of keys that may hold key material by mistake are never echoed.
    mutating func parseKindOptions(_ fields: Fields, kind: ProviderKind, provider: Node, path: String) -> [String: String] {
        var options: [String: String] = [:]
        for key in ProviderKind.allSettingKeys {
            guard let entry = fields[key] else { continue }
            guard kind.settingKeys.contains(key) else {
                let owners = ProviderKind.registered.filter { $0.settingKeys.contains(key) }.map(\.rawValue)
                reader.report(
                    entry.keyNode, entry.path,
                    "is only for kind \(owners.joined(separator: " or ")), not \(kind.rawValue)")
                continue
            }
            let secret = kind.settingMayHoldSecret(key)
            guard let value = reader.nonEmptyString(entry, secret: secret) else { continue }
            if secret, looksLikeSecret(value) {
                reader.report(entry.value, entry.path, "looks like a key itself; give the path of a file holding it")
            } else if let problem = kind.settingProblem(key, value: value) {
                reader.report(entry.value, entry.path, secret ? problem : "\(displayValue(value)): \(problem)")
            }
            options[key] = value
        }
        for key in kind.requiredSettingKeys where fields[key] == nil {
            reader.report(provider, "\(path).\(key)", "is required for kind \(kind.rawValue)")
        }
        for (key, value) in kind.settingDefaults where options[key] == nil { options[key] = value }
        checkCredentialSource(fields, kind: kind, options: options)
        return options
    }

    /// A kind that signs with credentials of its own takes no API key; a kind's replacement for the key (azure's
    /// `bearer_token_file`) and an API key together are ambiguous.
    private mutating func checkCredentialSource(_ fields: Fields, kind: ProviderKind, options: [String: String]) {
        let keyFields = ["api_key_env", "api_key_file", "api_key"].compactMap { fields[$0] }
        if !kind.takesAPIKey {
            for entry in keyFields {
                reader.report(
                    entry.keyNode, entry.path,
                    "kind \(kind.rawValue) takes no API key (see the kind's credentials in the documentation)")
            }
            return
        }
        for key in kind.settingKeysReplacingAPIKey where options[key] != nil {
            if let entry = keyFields.first, let replacement = fields[key] {
                reader.report(
                    replacement.keyNode, replacement.path, "\(entry.key) and \(key) are both set; set only one of them")
            }
        }
    }
}
