/// Renders metric families as Prometheus text 0.0.4 or OpenMetrics 1.0.0 bytes.
public enum ExpositionEncoder {
    /// Encodes the families sorted by name, series in the order given; what `validateFamilies` reports is left out.
    public static func encode(_ families: [MetricFamily], format: ExpositionFormat) -> [UInt8] {
        let plan = ExpositionPlan(families)
        var out: [UInt8] = []
        out.reserveCapacity(estimatedSize(of: plan, in: families))
        var scratch: [UInt8] = []
        for planned in plan.families {
            let family = families[planned.index]
            writeHeader(of: family, format: format, into: &out)
            let prefixes = labelPrefixes(family.labelNames)
            switch family.type {
            case .counter, .gauge:
                writeSamples(of: family, skipped: planned.skipped, prefixes: prefixes, into: &out)
            case .histogram:
                writeHistograms(of: family, skipped: planned.skipped, prefixes: prefixes, into: &out, scratch: &scratch)
            }
        }
        if format == .openMetrics { out.appendStatic("# EOF\n") }
        return out
    }

    /// `# HELP` and `# TYPE`. Text 0.0.4 names a counter family by its sample name (`x_total`),
    /// OpenMetrics by its bare name; only OpenMetrics escapes quotes in help.
    private static func writeHeader(of family: MetricFamily, format: ExpositionFormat, into out: inout [UInt8]) {
        let suffix = family.type == .counter && format == .text
        out.appendStatic("# HELP ")
        out.appendRaw(family.name)
        if suffix { out.appendStatic("_total") }
        out.append(UInt8(ascii: " "))
        out.appendEscaped(family.help, quotes: format == .openMetrics)
        out.appendStatic("\n# TYPE ")
        out.appendRaw(family.name)
        if suffix { out.appendStatic("_total") }
        out.append(UInt8(ascii: " "))
        out.appendRaw(family.type.rawValue)
        out.append(UInt8(ascii: "\n"))
    }

    /// `name="` for the first label and `,name="` for the others, built once per family.
    private static func labelPrefixes(_ names: [String]) -> [[UInt8]] {
        names.enumerated().map { position, name in
            var prefix: [UInt8] = position == 0 ? [] : [UInt8(ascii: ",")]
            prefix.appendRaw(name)
            prefix.appendStatic("=\"")
            return prefix
        }
    }

    @inline(__always)
    private static func writeLabels(_ values: [String], prefixes: [[UInt8]], into out: inout [UInt8]) {
        for position in prefixes.indices {
            out.append(contentsOf: prefixes[position])
            out.appendEscaped(values[position], quotes: true)
            out.append(UInt8(ascii: "\""))
        }
    }

    private static func writeSamples(
        of family: MetricFamily, skipped: [Bool]?, prefixes: [[UInt8]], into out: inout [UInt8]
    ) {
        var name: [UInt8] = []
        name.appendRaw(family.name)
        if family.type == .counter { name.appendStatic("_total") }
        for (position, sample) in family.samples.enumerated() where skipped?[position] != true {
            out.append(contentsOf: name)
            if !prefixes.isEmpty {
                out.append(UInt8(ascii: "{"))
                writeLabels(sample.labelValues, prefixes: prefixes, into: &out)
                out.append(UInt8(ascii: "}"))
            }
            out.append(UInt8(ascii: " "))
            out.appendSampleValue(sample.value)
            out.append(UInt8(ascii: "\n"))
        }
    }

    private static func writeHistograms(
        of family: MetricFamily, skipped: [Bool]?, prefixes: [[UInt8]],
        into out: inout [UInt8], scratch labels: inout [UInt8]
    ) {
        let hasLabels = !prefixes.isEmpty
        var bucketName: [UInt8] = [], sumName: [UInt8] = [], countName: [UInt8] = []
        bucketName.appendRaw(family.name)
        bucketName.appendStatic("_bucket{")
        sumName.appendRaw(family.name)
        sumName.appendStatic(hasLabels ? "_sum{" : "_sum")
        countName.appendRaw(family.name)
        countName.appendStatic(hasLabels ? "_count{" : "_count")
        // `le="0.05"} ` per bound (comma first when other labels precede it), then the +Inf bucket.
        let bounds = family.buckets.map(canonicalFloat) + ["+Inf"]
        let bucketTails: [[UInt8]] = bounds.map { bound in
            var tail: [UInt8] = []
            tail.appendStatic(hasLabels ? ",le=\"" : "le=\"")
            tail.appendRaw(bound)
            tail.appendStatic("\"} ")
            return tail
        }
        for (position, series) in family.histograms.enumerated() where skipped?[position] != true {
            labels.removeAll(keepingCapacity: true)
            writeLabels(series.labelValues, prefixes: prefixes, into: &labels)
            for bucket in 0..<bucketTails.count {
                out.append(contentsOf: bucketName)
                out.append(contentsOf: labels)
                out.append(contentsOf: bucketTails[bucket])
                out.appendDecimal(bucket < series.bucketCounts.count ? series.bucketCounts[bucket] : series.count)
                out.append(UInt8(ascii: "\n"))
            }
            out.append(contentsOf: sumName)
            out.append(contentsOf: labels)
            out.appendStatic(hasLabels ? "} " : " ")
            out.appendSampleValue(series.sum)
            out.append(UInt8(ascii: "\n"))
            out.append(contentsOf: countName)
            out.append(contentsOf: labels)
            out.appendStatic(hasLabels ? "} " : " ")
            out.appendDecimal(series.count)
            out.append(UInt8(ascii: "\n"))
        }
    }

    /// A close upper estimate, so the buffer is allocated once.
    private static func estimatedSize(of plan: ExpositionPlan, in families: [MetricFamily]) -> Int {
        var total = 16
        for planned in plan.families {
            let family = families[planned.index]
            let name = family.name.utf8.count
            total += 2 * (name + 24) + family.help.utf8.count * 2
            let labelNames = family.labelNames.reduce(0) { $0 + $1.utf8.count + 4 }
            switch family.type {
            case .counter, .gauge:
                for sample in family.samples {
                    total += name + labelNames + 34 + sample.labelValues.reduce(0) { $0 + $1.utf8.count }
                }
            case .histogram:
                let lines = family.buckets.count + 3
                for series in family.histograms {
                    let labels = labelNames + series.labelValues.reduce(0) { $0 + $1.utf8.count }
                    total += lines * (name + labels + 48)
                }
            }
        }
        return total
    }
}
