import Synchronization

/// The token-limit field each OpenAI-compatible model was found to accept after the other was refused,
/// so later probes send it first and spend no second request.
///
/// Held by `HTTPProbeClient`, which lives as long as the process: probers and probe contexts are
/// recreated on every configuration reload, and what was learned must outlive them.
final class TokenLimitFieldMemory: Sendable {
    struct Key: Hashable {
        var provider: String
        var baseURL: String
        var model: String
    }

    /// Models come from the configuration, so the entries are bounded by it; this only guards against a
    /// configuration that churns through model names without end.
    static let maxEntries = 10_000

    private let fields = Mutex<[Key: TokenLimitField]>([:])

    func field(for key: Key) -> TokenLimitField? { fields.withLock { $0[key] } }

    func remember(_ field: TokenLimitField, for key: Key) {
        fields.withLock { fields in
            // Forgetting costs each model one extra request on its next probe; simpler than an eviction order.
            if fields.count >= Self.maxEntries, fields[key] == nil { fields.removeAll() }
            fields[key] = field
        }
    }
}
