/// Longest error text kept per outcome, in characters (Unicode scalars).
let maxErrorCharacters = 200

/// A gateway's error text (valid UTF-8) made fit to show: API-key-looking words replaced by `<redacted>`,
/// control characters turned into spaces, cut to `maxErrorCharacters`.
///
/// Works on bytes, word by word, so that a key is redacted whole before anything is cut, and a long
/// text costs no more than its first few hundred bytes.
func sanitizedErrorText(_ text: ArraySlice<UInt8>) -> [UInt8] {
    var output: [UInt8] = []
    output.reserveCapacity(min(text.count, maxErrorCharacters * 2))
    var characters = 0
    var previousWord = text[text.startIndex..<text.startIndex]
    var index = text.startIndex
    while index < text.endIndex && characters < maxErrorCharacters {
        var wordEnd = index
        while wordEnd < text.endIndex, !isWordSeparator(text[wordEnd]) { wordEnd += 1 }
        let word = text[index..<wordEnd]
        let kept = looksLikeSecret(word, after: previousWord) ? redactedMarker[...] : word
        for byte in kept {
            // A continuation byte finishes the character already counted; any other byte starts one.
            if byte & 0xC0 != 0x80 {
                if characters == maxErrorCharacters { break }
                characters += 1
            }
            output.append(byte)
        }
        if !word.isEmpty { previousWord = word }
        if wordEnd < text.endIndex && characters < maxErrorCharacters {
            let separator = text[wordEnd]
            output.append(separator < 0x20 || separator == 0x7F ? 0x20 : separator)
            characters += 1
        }
        index = wordEnd + 1
    }
    return output
}

private let redactedMarker = Array("<redacted>".utf8)

private func isWordSeparator(_ byte: UInt8) -> Bool {
    switch byte {
    case 0...0x20, 0x7F, UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: ","), UInt8(ascii: "="),
        UInt8(ascii: ":"), UInt8(ascii: ";"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "["),
        UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "<"), UInt8(ascii: ">"):
        return true
    default:
        return false
    }
}

/// Prefixes of the providers' API keys and tokens.
private let secretPrefixes = ["sk-", "sk_", "gsk_", "hf_", "nvapi-", "xai-", "pplx-", "r8_", "AIza", "ghp_"].map {
    Array($0.utf8)
}
private let bearer = Array("bearer".utf8)

private func looksLikeSecret(_ word: ArraySlice<UInt8>, after previousWord: ArraySlice<UInt8>) -> Bool {
    if word.count >= 8 && previousWord.count == bearer.count
        && zip(previousWord, bearer).allSatisfy({ asciiLowercased($0) == $1 })
    {
        return true
    }
    guard word.count >= 20 else { return false }
    return secretPrefixes.contains { word.starts(with: $0) }
}

@inline(__always)
func asciiLowercased(_ byte: UInt8) -> UInt8 {
    byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
}
