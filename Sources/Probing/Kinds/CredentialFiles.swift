#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The trimmed contents of a file holding a credential, read on every probe so that a renewed one is picked up.
/// The error names the setting and the file (the configuration refuses paths that look like key material), never
/// what the file holds.
func readCredentialFile(_ path: String, setting: String) throws(CredentialError) -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw CredentialError(message: "cannot read \(setting) \(path)")
    }
    let text = String(decoding: data, as: UTF8.self).trimmingWhitespaceAndNewlines()
    guard !text.isEmpty else { throw CredentialError(message: "\(setting) \(path) is empty") }
    return text
}
