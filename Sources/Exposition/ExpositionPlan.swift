/// Reports what the encoder would leave out of its output for these families, and why.
public func validateFamilies(_ families: [MetricFamily]) -> [ExpositionProblem] {
    ExpositionPlan(families).problems
}

/// A family that passed validation, and which of its series to skip.
struct PlannedFamily {
    /// Index into the caller's array.
    let index: Int
    /// `nil` when every series is kept; otherwise one flag per series (`samples` or `histograms`).
    let skipped: [Bool]?
}

/// The validated, sorted set of families to render. Validation never traps: whatever would make the
/// output unparsable is dropped and reported instead.
struct ExpositionPlan {
    private(set) var families: [PlannedFamily] = []
    private(set) var problems: [ExpositionProblem] = []

    init(_ input: [MetricFamily]) {
        // Stable order by name, so that output never depends on the caller's order and the first of
        // two duplicates is the one kept.
        let order = input.indices.sorted { lhs, rhs in
            let l = input[lhs].name, r = input[rhs].name
            return l == r ? lhs < rhs : l < r
        }
        var owners: [String: String] = [:]  // occupied sample/family name -> owning family
        for index in order {
            let family = input[index]
            guard checkFamilyShape(family) else { continue }
            let occupied = NameRules.occupiedNames(of: family)
            if let clash = occupied.first(where: { owners[$0] != nil }), let owner = owners[clash] {
                let message = owner == family.name
                    ? "duplicate family name; the first family with this name is kept, this one is dropped"
                    : "name \(clash) clashes with family \(owner); family dropped"
                report(family, message)
                continue
            }
            for name in occupied { owners[name] = family.name }
            families.append(PlannedFamily(index: index, skipped: checkSeries(of: family)))
        }
    }

    private mutating func report(_ family: MetricFamily, _ message: String) {
        problems.append(ExpositionProblem(family: family.name, message: message))
    }

    /// Family-level rules; a family failing one of them is dropped whole.
    private mutating func checkFamilyShape(_ family: MetricFamily) -> Bool {
        guard NameRules.isValidMetricName(family.name) else {
            report(family, "invalid metric name (must match [a-zA-Z_:][a-zA-Z0-9_:]*); family dropped")
            return false
        }
        for (position, label) in family.labelNames.enumerated() {
            guard NameRules.isValidLabelName(label) else {
                report(family, "invalid label name \(quoted(label)) (must match [a-zA-Z_][a-zA-Z0-9_]* "
                    + "and not start with __); family dropped")
                return false
            }
            if family.labelNames[..<position].contains(label) {
                report(family, "label name \(label) appears twice; family dropped")
                return false
            }
        }
        switch family.type {
        case .counter, .gauge:
            if !family.histograms.isEmpty {
                report(family, "\(family.histograms.count) histogram series on a \(family.type.rawValue) family ignored")
            }
            if !family.buckets.isEmpty {
                report(family, "bucket bounds on a \(family.type.rawValue) family ignored")
            }
        case .histogram:
            if family.labelNames.contains("le") {
                report(family, "label name le is reserved for histogram buckets; family dropped")
                return false
            }
            guard bucketsAreValid(family.buckets) else {
                report(family, "bucket bounds must be finite, non-negative and strictly ascending; family dropped")
                return false
            }
            if !family.samples.isEmpty {
                report(family, "\(family.samples.count) counter/gauge series on a histogram family ignored")
            }
        }
        return true
    }

    /// Non-negative because OpenMetrics forbids `_sum` on histograms with negative buckets.
    private func bucketsAreValid(_ buckets: [Double]) -> Bool {
        var previous = -Double.infinity
        for bound in buckets {
            guard bound.isFinite, bound >= 0, bound > previous else { return false }
            previous = bound
        }
        return true
    }

    /// Series-level rules; a failing series is dropped and the rest of the family kept.
    private mutating func checkSeries(of family: MetricFamily) -> [Bool]? {
        var tally = DropTally()
        var duplicates = DuplicateDetector()
        switch family.type {
        case .counter, .gauge:
            let isCounter = family.type == .counter
            for (position, sample) in family.samples.enumerated() {
                if sample.labelValues.count != family.labelNames.count {
                    tally.drop(position, count: family.samples.count, reason: .labelCount)
                } else if isCounter && !(sample.value >= 0) {
                    tally.drop(position, count: family.samples.count, reason: .counterValue)
                } else if duplicates.repeats(position, sample.labelValues, family.samples, \.labelValues, tally) {
                    tally.drop(position, count: family.samples.count, reason: .duplicate)
                }
            }
        case .histogram:
            for (position, series) in family.histograms.enumerated() {
                let total = family.histograms.count
                if series.labelValues.count != family.labelNames.count {
                    tally.drop(position, count: total, reason: .labelCount)
                } else if series.bucketCounts.count != family.buckets.count {
                    tally.drop(position, count: total, reason: .bucketCount)
                } else if !isCumulative(series) {
                    tally.drop(position, count: total, reason: .notCumulative)
                } else if !(series.sum >= 0) {
                    tally.drop(position, count: total, reason: .histogramSum)
                } else if duplicates.repeats(position, series.labelValues, family.histograms, \.labelValues, tally) {
                    tally.drop(position, count: total, reason: .duplicate)
                }
            }
        }
        for (reason, first, dropped) in tally.summary {
            let what = dropped == 1 ? "series \(first) dropped" : "\(dropped) series dropped (first: \(first))"
            report(family, "\(what): \(reason.explanation(labelCount: family.labelNames.count))")
        }
        return tally.skipped
    }

    private func isCumulative(_ series: HistogramSample) -> Bool {
        var previous: UInt64 = 0
        for bucket in series.bucketCounts {
            if bucket < previous { return false }
            previous = bucket
        }
        return series.count >= previous
    }

    private func quoted(_ text: String) -> String {
        "\"" + text.unicodeScalars.map { $0.escaped(asASCII: true) }.joined() + "\""
    }
}

/// Why a single series is dropped.
enum DropReason: CaseIterable {
    case labelCount, counterValue, bucketCount, notCumulative, histogramSum, duplicate

    func explanation(labelCount: Int) -> String {
        switch self {
        case .labelCount: "number of label values differs from the \(labelCount) label names"
        case .counterValue: "counter value must be a non-negative number (not NaN)"
        case .bucketCount: "number of bucket counts differs from the number of bucket bounds"
        case .notCumulative: "bucket counts must be cumulative (non-decreasing, count at least the last bucket)"
        case .histogramSum: "histogram sum must be a non-negative number (not NaN)"
        case .duplicate: "same label values as an earlier series of the family"
        }
    }
}

/// Per-family bookkeeping of dropped series.
struct DropTally {
    private(set) var skipped: [Bool]?
    private var counts: [DropReason: (first: Int, dropped: Int)] = [:]

    var summary: [(DropReason, Int, Int)] {
        DropReason.allCases.compactMap { reason in counts[reason].map { (reason, $0.first, $0.dropped) } }
    }

    func isSkipped(_ position: Int) -> Bool { skipped?[position] == true }

    mutating func drop(_ position: Int, count: Int, reason: DropReason) {
        if skipped == nil { skipped = Array(repeating: false, count: count) }
        skipped![position] = true
        let entry = counts[reason] ?? (first: position, dropped: 0)
        counts[reason] = (entry.first, entry.dropped + 1)
    }
}
