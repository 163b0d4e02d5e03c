#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HealthCore

/// "Did you mean" hints for misspelt keys and kinds.

/// The candidate closest to `word`, when it is close enough to be a likely typo.
func closestMatch(to word: String, in candidates: [String]) -> String? {
    let normalized = normalize(word)
    var best: (candidate: String, distance: Int)?
    for candidate in candidates {
        let distance = editDistance(normalized, normalize(candidate))
        if distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
    }
    guard let best else { return nil }
    let allowed = normalized.count >= 10 ? 3 : (normalized.count >= 4 ? 2 : 1)
    return best.distance <= allowed ? best.candidate : nil
}

/// ` (did you mean "x"?)`, or an empty string when nothing is close.
func suggestionSuffix(for word: String, in candidates: [String]) -> String {
    closestMatch(to: word, in: candidates).map { " (did you mean \(quoted($0))?)" } ?? ""
}

/// Case and `-`/`_` differences count as no difference.
private func normalize(_ text: String) -> [Character] {
    Array(text.lowercased().replacingEvery("-", with: "_"))
}

/// Levenshtein distance.
func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
            current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
