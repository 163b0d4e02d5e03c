/// Longest error text kept per outcome, in characters.
let maxErrorCharacters = 200

/// A gateway's error text made fit to show: API-key-looking words replaced by `<redacted>`, control
/// characters turned into spaces, cut to `maxErrorCharacters`. Empty text becomes nil.
func sanitizedErrorText(_ text: String) -> String? {
    var output = ""
    output.reserveCapacity(min(text.utf8.count, maxErrorCharacters * 4))
    var previousWord = Substring()
    var wordStart = text.startIndex
    var index = text.startIndex
    // Walk word by word so that a key is redacted whole before anything is cut.
    while wordStart < text.endIndex && output.count < maxErrorCharacters {
        index = text[wordStart...].firstIndex(where: isWordSeparator) ?? text.endIndex
        let word = text[wordStart..<index]
        output += looksLikeSecret(word, after: previousWord) ? "<redacted>" : word
        if !word.isEmpty { previousWord = word }
        if index < text.endIndex {
            let separator = text[index]
            output.append(isControl(separator) ? " " : separator)
            index = text.index(after: index)
        }
        wordStart = index
    }
    let kept = output.count > maxErrorCharacters ? String(output.prefix(maxErrorCharacters)) : output
    return kept.isEmpty ? nil : kept
}

private func isWordSeparator(_ character: Character) -> Bool {
    guard let ascii = character.asciiValue else { return character.isWhitespace }
    switch ascii {
    case 0...0x20, 0x7F, UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: ","), UInt8(ascii: "="),
        UInt8(ascii: ":"), UInt8(ascii: ";"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "["),
        UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "<"), UInt8(ascii: ">"):
        return true
    default:
        return false
    }
}

/// ASCII control characters, "\r\n" included (its `asciiValue` is that of "\n").
private func isControl(_ character: Character) -> Bool {
    guard let ascii = character.asciiValue else { return false }
    return ascii < 0x20 || ascii == 0x7F
}

/// Prefixes of the providers' API keys and tokens.
private let secretPrefixes = ["sk-", "sk_", "gsk_", "hf_", "nvapi-", "xai-", "pplx-", "r8_", "AIza", "ghp_"]

private func looksLikeSecret(_ word: Substring, after previousWord: Substring) -> Bool {
    if previousWord.lowercased() == "bearer" && word.count >= 8 { return true }
    guard word.count >= 20 else { return false }
    return secretPrefixes.contains { word.hasPrefix($0) }
}
