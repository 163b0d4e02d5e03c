/// Provider and model names recently read from the body, so a batch that repeats a handful of names
/// (the usual case) builds each String once instead of once per outcome.
struct RecentNames {
    private struct Entry {
        var start: Int
        var count: Int
        var value: String
    }

    private static let capacity = 16
    private var entries: [Entry] = []
    private var nextSlot = 0

    init() { entries.reserveCapacity(Self.capacity) }

    /// The String for a scanned name, reused when the same bytes were seen recently.
    mutating func name(_ token: StringToken, in scanner: JSONScanner) -> String {
        guard !token.hasEscapes else { return scanner.string(token) }
        let bytes = scanner.bytes
        let count = token.byteCount
        for entry in entries where entry.count == count {
            var offset = 0
            while offset < count, bytes[entry.start + offset] == bytes[token.start + offset] { offset += 1 }
            if offset == count { return entry.value }
        }
        let value = scanner.string(token)
        let entry = Entry(start: token.start, count: count, value: value)
        if entries.count < Self.capacity {
            entries.append(entry)
        } else {
            entries[nextSlot] = entry
            nextSlot = (nextSlot + 1) % Self.capacity
        }
        return value
    }
}
