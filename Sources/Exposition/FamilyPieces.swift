/// The constant byte strings of one family's lines, built once per family and stored contiguously so
/// the per-series loop copies slices without reference counting.
struct FamilyPieces {
    private(set) var bytes: [UInt8] = []
    /// `name="` for the first label, `,name="` for the others.
    private(set) var labelPrefixes: [Range<Int>] = []
    /// Counter/gauge sample name (`x_total` for counters) or histogram `x_bucket{`.
    private(set) var seriesName = 0..<0
    /// Histogram `x_sum` / `x_count`, with `{` when there are labels.
    private(set) var sumName = 0..<0
    private(set) var countName = 0..<0
    /// Histogram `le="0.05"} ` per finite bound (comma first when labels precede it), then `+Inf`.
    private(set) var bucketTails: [Range<Int>] = []

    init(_ family: MetricFamily) {
        let hasLabels = !family.labelNames.isEmpty
        for (index, label) in family.labelNames.enumerated() {
            labelPrefixes.append(add((index == 0 ? "" : ",") + label + "=\""))
        }
        switch family.type {
        case .gauge:
            seriesName = add(family.name)
        case .counter:
            seriesName = add(family.name + "_total")
        case .histogram:
            seriesName = add(family.name + "_bucket{")
            sumName = add(family.name + (hasLabels ? "_sum{" : "_sum"))
            countName = add(family.name + (hasLabels ? "_count{" : "_count"))
            for bound in family.buckets.map(canonicalFloat) + ["+Inf"] {
                bucketTails.append(add((hasLabels ? ",le=\"" : "le=\"") + bound + "\"} "))
            }
        }
    }

    private mutating func add(_ text: String) -> Range<Int> {
        let start = bytes.count
        bytes.append(contentsOf: text.utf8)
        return start..<bytes.count
    }
}
