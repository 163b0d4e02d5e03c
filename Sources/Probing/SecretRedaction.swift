#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HealthCore

/// Removes a secret from text taken from a response, and keeps the text short.
public func redact(_ text: String, secret: String?, maxLength: Int = 160) -> String {
    redact(text, secrets: secret.map { [$0] } ?? [], maxLength: maxLength)
}

/// Removes secrets (the API key, credential header values) from text taken from a response, and keeps it short.
///
/// Every occurrence of each secret goes, and so does any word holding a long enough piece of the start or end
/// of one without spaces: providers echo keys partly masked ("sk-proj-abc…wxyz").
public func redact(_ text: String, secrets: [String], maxLength: Int = 160) -> String {
    var result = text
    for secret in secrets.sorted(by: { $0.count > $1.count }) where !secret.isEmpty {
        result = result.replacingEvery(secret, with: "<secret>")
        let pieceLength = 6
        if secret.count >= pieceLength * 2, !secret.contains(" ") {
            let pieces = [String(secret.prefix(pieceLength)), String(secret.suffix(pieceLength))]
            let words = result.split(separator: " ", omittingEmptySubsequences: false).map { word -> Substring in
                pieces.contains { word.contains($0) } ? "<secret>" : word
            }
            result = words.joined(separator: " ")
        }
    }
    result = String(result.map { $0.isNewline || $0 == "\t" ? " " : $0 })
    if result.count > maxLength { result = String(result.prefix(maxLength)) + "…" }
    return result
}
