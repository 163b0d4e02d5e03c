import Foundation

/// Removes a secret from text taken from a response, and keeps the text short.
///
/// Every occurrence of the secret goes, and so does any word holding a long enough piece of its start or
/// end: providers echo keys partly masked ("sk-proj-abc…wxyz").
public func redact(_ text: String, secret: String?, maxLength: Int = 160) -> String {
    var result = text
    if let secret, !secret.isEmpty {
        result = result.replacingOccurrences(of: secret, with: "<secret>")
        let pieceLength = 6
        if secret.count >= pieceLength * 2 {
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
