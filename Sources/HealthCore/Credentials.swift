/// Whether a header carries credentials: its value is shown as `<secret>` and never repeated in a message.
public func isCredentialHeaderName(_ name: String) -> Bool {
    let lower = name.lowercased()
    return ["auth", "key", "token", "secret", "cookie", "password", "credential", "session"]
        .contains(where: { lower.contains($0) })
}

extension ProviderSettings {
    /// What a provider's answer must never be allowed to echo into a message: the API key, and the values of
    /// configured credential headers — whole, and without their scheme (`Bearer …`, `Basic …`). Longest first.
    public func secrets(apiKey: String?) -> [String] {
        secrets(credentials: apiKey.map { [$0] } ?? [])
    }

    /// The same for credentials of several values (AWS: the secret access key and the session token).
    public func secrets(credentials: [String]) -> [String] {
        var secrets = credentials
        for (name, value) in headers where isCredentialHeaderName(name) {
            let trimmed = value.trimmingSpaces()
            secrets.append(trimmed)
            if let space = trimmed.firstIndex(of: " ") {
                secrets.append(String(trimmed[trimmed.index(after: space)...]).trimmingSpaces())
            }
        }
        // Very short values ("1", "yes") would blank out ordinary words.
        return Array(Set(secrets.filter { $0.count >= 6 })).sorted { ($0.count, $0) > ($1.count, $1) }
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return String(text)
    }
}
