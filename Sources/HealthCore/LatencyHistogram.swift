/// A cumulative latency histogram: every result is observed exactly once, when it arrives.
public struct LatencyHistogram: Sendable, Equatable {
    public let bounds: [Double]
    /// Non-cumulative counts per finite bucket; observations above the last bound only count in `count`.
    private var perBucket: [UInt64]
    public private(set) var count: UInt64 = 0
    public private(set) var sum: Double = 0

    public init(bounds: [Double]) {
        self.bounds = bounds
        self.perBucket = Array(repeating: 0, count: bounds.count)
    }

    public mutating func observe(_ value: Double) {
        guard value.isFinite else { return }
        let v = max(0, value)
        count += 1
        sum += v
        // Buckets are few (≈8): a linear scan beats a binary search here.
        for i in bounds.indices where v <= bounds[i] {
            perBucket[i] += 1
            return
        }
    }

    /// Cumulative counts per finite bound, as the exposition format wants them.
    public var cumulativeCounts: [UInt64] {
        var running: UInt64 = 0
        return perBucket.map {
            running += $0
            return running
        }
    }
}
