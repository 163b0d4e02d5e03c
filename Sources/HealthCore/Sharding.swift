/// `--shard I/N`: which providers one of N instances watches. Provider names are hashed (FNV-1a, stable across
/// runs and machines) and instance I keeps those with hash mod N == I — the convention of Prometheus' hashmod.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    /// Parses "I/N" with 0 ≤ I < N; nil when malformed.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), count >= 1, (0..<count).contains(index)
        else { return nil }
        self.index = index
        self.count = count
    }

    public var description: String { "\(index)/\(count)" }

    public func owns(_ provider: String) -> Bool {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in provider.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return hash % UInt64(count) == UInt64(index)
    }
}
