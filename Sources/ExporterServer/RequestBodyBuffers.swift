import NIOCore
import Synchronization

/// Buffers for request bodies that arrive in many reads, reused from one request to the next.
///
/// A gateway posts megabytes per request. Fresh memory for each body is fresh pages from the system, and faulting
/// them in costs as much as decoding the body; a buffer used before has its pages. At most `spareCount` buffers are
/// kept, each for a body within the limit, so what is retained is bounded whatever the number of connections.
final class RequestBodyBuffers: Sendable {
    private let spare = Mutex<[ByteBuffer]>([])
    private let spareCount: Int
    private let maxKeptBytes: Int

    init(spareCount: Int, maxKeptBytes: Int) {
        self.spareCount = spareCount
        self.maxKeptBytes = maxKeptBytes
    }

    /// An empty buffer of at least `capacity` bytes. A spare one that a request still holds (an asynchronous route)
    /// is copied on write, as any shared buffer.
    func take(capacity: Int, allocator: ByteBufferAllocator) -> ByteBuffer {
        guard var buffer = spare.withLock({ $0.popLast() }) else { return allocator.buffer(capacity: capacity) }
        buffer.clear(minimumCapacity: capacity)
        return buffer
    }

    /// Keeps `buffer` for a later body, once the request that read it has been answered.
    func giveBack(_ buffer: ByteBuffer) {
        // Capacities are powers of two: a body at the limit may have up to twice its size.
        guard buffer.capacity <= 2 * maxKeptBytes else { return }
        spare.withLock { if $0.count < spareCount { $0.append(buffer) } }
    }
}
