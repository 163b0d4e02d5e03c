/// Provider and model names recently read from the body, so a batch that repeats a handful of names
/// (the usual case) builds each String once instead of once per outcome.
struct RecentNames {
    private struct Entry {
        var start: Int
        var count: Int
        var value: String
    }

    private static let capacity = 8
    private var entries: [Entry] = []
    private var nextSlot = 0
    /// Batches often repeat a name back to back: the search starts at the last match.
    private var lastHit = 0

    init() { entries.reserveCapacity(Self.capacity) }

    /// The String for a scanned name, reused when the same bytes were seen recently.
    mutating func name(_ token: StringToken, in scanner: JSONScanner) -> String {
        guard !token.hasEscapes else { return scanner.string(token) }
        for step in 0..<entries.count {
            let slot = (lastHit + step) % entries.count
            if Self.matches(entries[slot], token, scanner.bytes) {
                lastHit = slot
                return entries[slot].value
            }
        }
        let value = scanner.string(token)
        let entry = Entry(start: token.start, count: token.byteCount, value: value)
        if entries.count < Self.capacity {
            entries.append(entry)
        } else {
            entries[nextSlot] = entry
            nextSlot = (nextSlot + 1) % Self.capacity
        }
        return value
    }

    private static func matches(_ entry: Entry, _ token: StringToken, _ bytes: [UInt8]) -> Bool {
        guard entry.count == token.byteCount else { return false }
        var offset = 0
        while offset < entry.count, bytes[entry.start + offset] == bytes[token.start + offset] { offset += 1 }
        return offset == entry.count
    }
}

/// Separate caches for providers and models: fewer entries to compare each time.
struct OutcomeNames {
    var providers = RecentNames()
    var models = RecentNames()
}
