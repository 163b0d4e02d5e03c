/// Finds series whose label values repeat an earlier kept series of the family byte for byte.
///
/// Callers usually hand series sorted by label values; while that holds, comparing with the previous
/// series is enough. From the first out-of-order series on, kept series go into a hash table.
struct DuplicateDetector {
    private var previous: [String]?
    private var sorted = true
    /// Open addressing, power-of-two size; slots hold series positions, -1 when empty, and their hashes.
    private var slots: [Int] = []
    private var hashes: [Int] = []

    /// Whether the series at `position` repeats an earlier kept one; if not, it is remembered.
    mutating func repeats<Series>(
        _ position: Int, _ labels: [String], _ all: [Series], _ labelsOf: (Series) -> [String], _ tally: DropTally
    ) -> Bool {
        if sorted {
            guard let last = previous else {
                previous = labels
                return false
            }
            if last.lexicographicallyPrecedes(labels) {
                previous = labels
                return false
            }
            // Out of order: index everything kept so far, then carry on with the table.
            sorted = false
            previous = nil
            var size = 16
            while size < all.count * 2 { size *= 2 }
            slots = Array(repeating: -1, count: size)
            hashes = Array(repeating: 0, count: size)
            for earlier in 0..<position where !tally.isSkipped(earlier) {
                _ = insert(earlier, labelsOf(all[earlier]), all, labelsOf)
            }
        }
        return !insert(position, labels, all, labelsOf)
    }

    /// Inserts unless an equal series is present; returns whether it was inserted.
    private mutating func insert<Series>(
        _ position: Int, _ labels: [String], _ all: [Series], _ labelsOf: (Series) -> [String]
    ) -> Bool {
        let mask = slots.count - 1
        let hash = Self.hash(labels)
        var slot = hash & mask
        while slots[slot] >= 0 {
            if hashes[slot] == hash, Self.sameBytes(labelsOf(all[slots[slot]]), labels) { return false }
            slot = (slot + 1) & mask
        }
        slots[slot] = position
        hashes[slot] = hash
        return true
    }

    /// Seeded per process (Hasher), so crafted label values cannot force collisions.
    private static func hash(_ labels: [String]) -> Int {
        var hasher = Hasher()
        for value in labels {
            if value.utf8.withContiguousStorageIfAvailable({ hasher.combine(bytes: UnsafeRawBufferPointer($0)) }) == nil {
                for byte in value.utf8 { hasher.combine(byte) }
            }
            hasher.combine(UInt8(0xFF))  // never part of UTF-8, so values cannot run into each other
        }
        return hasher.finalize()
    }

    private static func sameBytes(_ lhs: [String], _ rhs: [String]) -> Bool {
        lhs.count == rhs.count && zip(lhs, rhs).allSatisfy { $0.utf8.elementsEqual($1.utf8) }
    }
}
