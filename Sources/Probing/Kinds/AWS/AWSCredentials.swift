#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The AWS credentials requests are signed with, found the way the AWS CLI and SDKs find them (the parts of it
/// a probe needs): the `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN` environment
/// variables, else a profile of the shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`, by default
/// `~/.aws/credentials`). A profile named in the configuration, else `AWS_PROFILE`, else `default`.
struct AWSCredentials: Sendable {
    let accessKeyID: String
    let secretAccessKey: String
    let sessionToken: String?

    /// Resolved on every probe, so that rotated keys and renewed session tokens are picked up. Errors name
    /// variables, files and profiles, never values.
    static func resolve(environment: [String: String], profile configuredProfile: String?) throws(CredentialError)
        -> AWSCredentials
    {
        func value(_ name: String) -> String? {
            environment[name].map { $0.trimmingWhitespace() }.flatMap { $0.isEmpty ? nil : $0 }
        }
        // A profile chosen in the configuration wins over keys that happen to be in the environment.
        if configuredProfile == nil, let keyID = value("AWS_ACCESS_KEY_ID") {
            guard let secret = value("AWS_SECRET_ACCESS_KEY") else {
                throw CredentialError(message: "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
            }
            return AWSCredentials(accessKeyID: keyID, secretAccessKey: secret, sessionToken: value("AWS_SESSION_TOKEN"))
        }
        let profile = configuredProfile ?? value("AWS_PROFILE") ?? "default"
        guard let path = value("AWS_SHARED_CREDENTIALS_FILE") ?? value("HOME").map({ $0 + "/.aws/credentials" }) else {
            throw CredentialError(message: "no AWS credentials: AWS_ACCESS_KEY_ID is not set and HOME is unknown")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CredentialError(
                message: "no AWS credentials: AWS_ACCESS_KEY_ID is not set and \(path) cannot be read")
        }
        let section = sharedFileSection(String(decoding: data, as: UTF8.self), profile: profile)
        guard let section else { throw CredentialError(message: "profile \(profile) is not in \(path)") }
        guard let keyID = section["aws_access_key_id"], let secret = section["aws_secret_access_key"] else {
            throw CredentialError(
                message: "profile \(profile) in \(path) has no aws_access_key_id and aws_secret_access_key")
        }
        return AWSCredentials(accessKeyID: keyID, secretAccessKey: secret, sessionToken: section["aws_session_token"])
    }

    /// The `key = value` lines of `[profile]` in an INI file; nil when there is no such section.
    static func sharedFileSection(_ text: String, profile: String) -> [String: String]? {
        var current: String?
        var found: [String: String]?
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                current = line.dropFirst().dropLast().trimmingWhitespace()
                if current == profile, found == nil { found = [:] }
                continue
            }
            guard current == profile, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingWhitespace().lowercased()
            let value = line[line.index(after: equals)...].trimmingWhitespace()
            if !value.isEmpty { found?[key] = value }
        }
        return found
    }
}
