/// The kind of a metric family; the raw value is the name used in `# TYPE` lines.
public enum MetricType: String, Sendable {
    case counter, gauge, histogram
}

/// One counter or gauge series: its label values (in the family's label-name order) and value.
public struct MetricSample: Sendable, Equatable {
    /// Values for the family's `labelNames`, in the same order.
    public var labelValues: [String]
    /// The sample value.
    public var value: Double

    /// Creates a sample.
    public init(labelValues: [String], value: Double) {
        self.labelValues = labelValues
        self.value = value
    }
}

/// One histogram series: cumulative bucket counts, total count and sum.
public struct HistogramSample: Sendable, Equatable {
    /// Values for the family's `labelNames`, in the same order.
    public var labelValues: [String]
    /// Cumulative counts, one per finite bucket bound of the family (the `+Inf` bucket is `count`).
    public var bucketCounts: [UInt64]
    /// Number of observations; also the value of the `+Inf` bucket.
    public var count: UInt64
    /// Sum of all observations.
    public var sum: Double

    /// Creates a histogram sample.
    public init(labelValues: [String], bucketCounts: [UInt64], count: UInt64, sum: Double) {
        self.labelValues = labelValues
        self.bucketCounts = bucketCounts
        self.count = count
        self.sum = sum
    }
}

/// A metric family: name, help, type, label names and its series.
public struct MetricFamily: Sendable, Equatable {
    /// Family name; counters are named WITHOUT the `_total` suffix, which the encoders add.
    public var name: String
    /// Help text, written unescaped here; the encoders escape it per format.
    public var help: String
    /// Metric type.
    public var type: MetricType
    /// Label names shared by every series of the family.
    public var labelNames: [String]
    /// Series of a counter or gauge family.
    public var samples: [MetricSample]
    /// Series of a histogram family.
    public var histograms: [HistogramSample]
    /// Finite histogram bucket upper bounds, strictly ascending.
    public var buckets: [Double]

    /// Creates a family.
    public init(
        name: String,
        help: String,
        type: MetricType,
        labelNames: [String],
        samples: [MetricSample] = [],
        histograms: [HistogramSample] = [],
        buckets: [Double] = []
    ) {
        self.name = name
        self.help = help
        self.type = type
        self.labelNames = labelNames
        self.samples = samples
        self.histograms = histograms
        self.buckets = buckets
    }
}
