import Synchronization

/// Arrays for request bodies that arrive in many reads, reused from one request to the next.
///
/// A gateway posts megabytes per request. Fresh memory for each body is fresh pages from the system, and faulting
/// them in costs as much as decoding the body; an array used before has its pages. At most `spareCount` arrays are
/// kept, each for a body within the limit, so what is retained is bounded whatever the number of connections.
final class RequestBodyBuffers: Sendable {
    private let spare = Mutex<[[UInt8]]>([])
    private let spareCount: Int
    private let maxKeptBytes: Int

    init(spareCount: Int, maxKeptBytes: Int) {
        self.spareCount = spareCount
        self.maxKeptBytes = maxKeptBytes
    }

    /// An empty array with room for `capacity` bytes. A spare one that a request still holds (an asynchronous route)
    /// is copied on write, as any shared array.
    func take(capacity: Int) -> [UInt8] {
        var bytes = spare.withLock { $0.popLast() } ?? []
        bytes.removeAll(keepingCapacity: true)
        bytes.reserveCapacity(capacity)
        return bytes
    }

    /// Keeps `bytes` for a later body, once the request that read them has been answered.
    func giveBack(_ bytes: [UInt8]) {
        // Room beyond the limit is the allocator's rounding, or a body that grew past its declared length.
        guard bytes.capacity <= 2 * maxKeptBytes else { return }
        spare.withLock { if $0.count < spareCount { $0.append(bytes) } }
    }
}
