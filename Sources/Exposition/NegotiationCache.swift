import Synchronization

/// Remembers the answers to the last few distinct `Accept` / `Accept-Encoding` pairs.
///
/// Scrapers send the same two headers on every scrape, and parsing them (media ranges, q-values) costs more
/// than everything else a /metrics request does: several thousand instructions against a lock and two string
/// comparisons. A handful of entries covers every scraper of an exporter; a client cycling through new headers
/// only replaces entries, never grows the cache.
public final class NegotiationCache: Sendable {
    public struct Answer: Sendable, Equatable {
        public var format: ExpositionFormat
        public var gzip: Bool
    }

    private struct Entry {
        var accept: String?
        var acceptEncoding: String?
        var answer: Answer
    }

    private struct State: ~Copyable {
        var entries: [Entry] = []
        var next = 0
    }

    private let state = Mutex(State())
    private let capacity: Int
    /// Headers longer than this are negotiated every time, not kept.
    private let maxKeyBytes = 1_024

    public init(capacity: Int = 16) { self.capacity = max(1, capacity) }

    /// The format and encoding for these headers, as `negotiateFormat` and `acceptsGzip` decide them.
    public func answer(accept: String?, acceptEncoding: String?) -> Answer {
        let cached = state.withLock { state -> Answer? in
            for entry in state.entries where entry.accept == accept && entry.acceptEncoding == acceptEncoding {
                return entry.answer
            }
            return nil
        }
        if let cached { return cached }
        let answer = Answer(format: negotiateFormat(accept: accept), gzip: acceptsGzip(acceptEncoding))
        guard (accept?.utf8.count ?? 0) + (acceptEncoding?.utf8.count ?? 0) <= maxKeyBytes else { return answer }
        state.withLock { state in
            let entry = Entry(accept: accept, acceptEncoding: acceptEncoding, answer: answer)
            if state.entries.count < capacity {
                state.entries.append(entry)
            } else {
                state.entries[state.next] = entry
                state.next = (state.next + 1) % capacity
            }
        }
        return answer
    }
}
