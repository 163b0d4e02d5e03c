import CompressNIO
import Exposition
import NIOCore
import Synchronization

/// /metrics bodies rendered once per cycle, in both formats, plain and gzip: a scrape picks one and
/// hands the shared buffer to the socket.
public struct RenderedSnapshot: Sendable {
    public var text: ByteBuffer
    public var textGzip: ByteBuffer
    public var openMetrics: ByteBuffer
    public var openMetricsGzip: ByteBuffer
    /// The aggregation this was rendered from; nil before the first cycle.
    public var result: AggregationResult?

    public init(families: [MetricFamily], result: AggregationResult?) {
        text = ByteBuffer(bytes: ExpositionEncoder.encode(families, format: .text))
        openMetrics = ByteBuffer(bytes: ExpositionEncoder.encode(families, format: .openMetrics))
        textGzip = Self.gzip(text)
        openMetricsGzip = Self.gzip(openMetrics)
        self.result = result
    }

    public func body(format: ExpositionFormat, gzip: Bool) -> ByteBuffer {
        switch (format, gzip) {
        case (.text, false): return text
        case (.text, true): return textGzip
        case (.openMetrics, false): return openMetrics
        case (.openMetrics, true): return openMetricsGzip
        }
    }

    static func gzip(_ buffer: ByteBuffer) -> ByteBuffer {
        var input = buffer
        // zlib only fails on a broken stream state; an empty body is a harmless fallback that the
        // scraper reports, rather than a crash.
        return (try? input.compress(with: .gzip())) ?? ByteBuffer()
    }
}

/// Holds the latest rendered snapshot for the HTTP server.
public final class SnapshotHolder: Sendable {
    private let current: Mutex<RenderedSnapshot>

    public init(initial: RenderedSnapshot) {
        current = Mutex(initial)
    }

    public var snapshot: RenderedSnapshot { current.withLock { $0 } }

    /// True once an aggregation cycle has published (readiness).
    public var isReady: Bool { current.withLock { $0.result != nil } }

    public func publish(_ snapshot: RenderedSnapshot) {
        current.withLock { $0 = snapshot }
    }
}
