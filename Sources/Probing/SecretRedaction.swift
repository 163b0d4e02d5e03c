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
    if isClearOfSecrets(text, secrets: secrets, maxLength: maxLength) { return text }
    var result = text
    for secret in secrets.sorted(by: { $0.count > $1.count }) where !secret.isEmpty {
        result = result.replacingEvery(secret, with: "<secret>")
        if secret.count >= secretPieceLength * 2, !secret.contains(" ") {
            let pieces = [String(secret.prefix(secretPieceLength)), String(secret.suffix(secretPieceLength))]
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

/// The length of the start and end pieces of a secret that give a masked echo of it away.
private let secretPieceLength = 6

/// Whether `redact` would give `text` back as it is: short enough, printable ASCII, holding no secret and no piece
/// of one. Checked on bytes, so that the common case — an error class or a status a gateway reported, thousands per
/// batch — costs no text search.
private func isClearOfSecrets(_ text: String, secrets: [String], maxLength: Int) -> Bool {
    let bytes = text.utf8
    guard bytes.count <= maxLength, bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return false }
    for secret in secrets where !secret.isEmpty {
        let secretBytes = Array(secret.utf8)
        guard secretBytes.allSatisfy({ $0 < 0x80 }) else { return false }
        // A text that holds the secret holds its first piece too.
        let pieces =
            secretBytes.count >= secretPieceLength * 2 && !secretBytes.contains(0x20)
            ? [secretBytes.prefix(secretPieceLength), secretBytes.suffix(secretPieceLength)]
            : [secretBytes[...]]
        for piece in pieces where bytes.containsSequence(piece) { return false }
    }
    return true
}

extension String.UTF8View {
    fileprivate func containsSequence(_ piece: ArraySlice<UInt8>) -> Bool {
        guard let first = piece.first, piece.count <= count else { return piece.isEmpty }
        var start = startIndex
        while let found = self[start...].firstIndex(of: first) {
            if self[found...].starts(with: piece) { return true }
            start = index(after: found)
        }
        return false
    }
}
