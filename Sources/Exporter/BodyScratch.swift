import NIOCore
import Synchronization

/// The arrays the ingest decoders read request bodies from, reused from one request to the next.
///
/// A gateway posts megabytes per batch (LiteLLM: 512 payloads of ~13 KB). A fresh array per request is fresh memory
/// from the system each time, and the page faults that fill it in cost as much as decoding the body (measured in
/// docs/performance.md, "LiteLLM payloads"). At most `spareCount` arrays are kept, each for a body within the limit, so what is retained is bounded whatever the number of connections.
final class BodyScratch: Sendable {
    private let spare = Mutex<[[UInt8]]>([])
    private let spareCount: Int
    private let maxKeptBytes: Int

    init(spareCount: Int = 4, maxKeptBytes: Int) {
        self.spareCount = spareCount
        self.maxKeptBytes = maxKeptBytes
    }

    /// Calls `body` with the readable bytes of `buffer` in an array that `body` must not keep.
    func withBytes<Result, Failure: Error>(
        of buffer: ByteBuffer, _ body: ([UInt8]) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        var bytes = spare.withLock { $0.popLast() } ?? []
        bytes.removeAll(keepingCapacity: true)
        bytes.reserveCapacity(buffer.readableBytes)
        buffer.withUnsafeReadableBytes { bytes.append(contentsOf: $0) }
        defer {
            if bytes.capacity <= 2 * maxKeptBytes {
                // Not kept: the array is the spare's copy only once `body` has let go of it.
                let kept = bytes
                bytes = []
                spare.withLock { if $0.count < spareCount { $0.append(kept) } }
            }
        }
        return try body(bytes)
    }
}
