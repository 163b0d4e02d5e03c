/// Renders metric families as Prometheus text 0.0.4 or OpenMetrics 1.0.0 bytes.
public enum ExpositionEncoder {
    /// Encodes the families sorted by name, series in the order given; what `validateFamilies` reports is left out.
    public static func encode(_ families: [MetricFamily], format: ExpositionFormat) -> [UInt8] {
        encode(families, format: format, initialCapacity: nil)
    }

    /// `initialCapacity` overrides the size estimate, so tests can force the resume path.
    static func encode(_ families: [MetricFamily], format: ExpositionFormat, initialCapacity: Int?) -> [UInt8] {
        let plan = ExpositionPlan(families)
        let estimates = plan.families.map { estimatedSize(of: families[$0.index]) }
        var capacity = max(initialCapacity ?? estimates.reduce(64, +), 1)
        var output: [UInt8] = []
        var rendered = 0, finished = false
        // Families are written straight into uninitialised capacity; should the estimate fall short,
        // the bytes so far move to an array twice as large and rendering resumes at the family that
        // did not fit.
        while true {
            let previous = output
            output = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
                var window = ByteWindow(base: buffer.baseAddress!, position: 0, end: buffer.count)
                previous.withUnsafeBufferPointer { window.write($0) }
                while rendered < plan.families.count {
                    let mark = window.position
                    write(families[plan.families[rendered].index], skipped: plan.families[rendered].skipped,
                          format: format, into: &window)
                    if window.overflowed {
                        window.rewind(to: mark)
                        break
                    }
                    rendered += 1
                }
                if rendered == plan.families.count {
                    let mark = window.position
                    if format == .openMetrics { window.write("# EOF\n") }
                    if window.overflowed { window.rewind(to: mark) } else { finished = true }
                }
                initialized = window.position
            }
            if finished { return output }
            capacity = max(2 * capacity, output.count + 2 * (rendered < estimates.count ? estimates[rendered] : 0) + 64)
        }
    }

    private static func write(_ family: MetricFamily, skipped: [Bool]?, format: ExpositionFormat, into window: inout ByteWindow) {
        let pieces = FamilyPieces(family)
        pieces.bytes.withUnsafeBufferPointer { constants in
            writeHeader(of: family, format: format, into: &window)
            switch family.type {
            case .counter, .gauge:
                writeSamples(of: family, skipped: skipped, pieces, constants, into: &window)
            case .histogram:
                writeHistograms(of: family, skipped: skipped, pieces, constants, into: &window)
            }
        }
    }

    /// `# HELP` and `# TYPE`. Text 0.0.4 names a counter family by its sample name (`x_total`),
    /// OpenMetrics by its bare name; only OpenMetrics escapes quotes in help.
    private static func writeHeader(of family: MetricFamily, format: ExpositionFormat, into out: inout ByteWindow) {
        let suffix = family.type == .counter && format == .text
        out.write("# HELP ")
        out.write(raw: family.name)
        if suffix { out.write("_total") }
        out.write(UInt8(ascii: " "))
        out.write(escaped: family.help, quotes: format == .openMetrics)
        out.write("\n# TYPE ")
        out.write(raw: family.name)
        if suffix { out.write("_total") }
        out.write(UInt8(ascii: " "))
        out.write(raw: family.type.rawValue)
        out.write(UInt8(ascii: "\n"))
    }

    @inline(__always)
    private static func writeLabels(
        _ values: [String], _ pieces: FamilyPieces, _ constants: UnsafeBufferPointer<UInt8>, into out: inout ByteWindow
    ) {
        for (prefix, value) in zip(pieces.labelPrefixes, values) {
            out.write(UnsafeBufferPointer(rebasing: constants[prefix]))
            out.write(escaped: value, quotes: true)
            out.write(UInt8(ascii: "\""))
        }
    }

    private static func writeSamples(
        of family: MetricFamily, skipped: [Bool]?, _ pieces: FamilyPieces, _ constants: UnsafeBufferPointer<UInt8>,
        into out: inout ByteWindow
    ) {
        let name = UnsafeBufferPointer(rebasing: constants[pieces.seriesName])
        let hasLabels = !pieces.labelPrefixes.isEmpty
        family.samples.withUnsafeBufferPointer { samples in
            for index in samples.indices where skipped?[index] != true {
                out.write(name)
                if hasLabels {
                    out.write(UInt8(ascii: "{"))
                    writeLabels(samples[index].labelValues, pieces, constants, into: &out)
                    out.write(UInt8(ascii: "}"))
                }
                out.write(UInt8(ascii: " "))
                out.write(sampleValue: samples[index].value)
                out.write(UInt8(ascii: "\n"))
            }
        }
    }

    private static func writeHistograms(
        of family: MetricFamily, skipped: [Bool]?, _ pieces: FamilyPieces, _ constants: UnsafeBufferPointer<UInt8>,
        into out: inout ByteWindow
    ) {
        let bucketName = UnsafeBufferPointer(rebasing: constants[pieces.seriesName])
        let sumName = UnsafeBufferPointer(rebasing: constants[pieces.sumName])
        let countName = UnsafeBufferPointer(rebasing: constants[pieces.countName])
        let tails = pieces.bucketTails.map { UnsafeBufferPointer(rebasing: constants[$0]) }
        let closing: StaticString = pieces.labelPrefixes.isEmpty ? " " : "} "
        family.histograms.withUnsafeBufferPointer { histograms in
            for index in histograms.indices where skipped?[index] != true {
                let series = histograms[index]
                // The escaped labels are written once, then copied for the other lines of the series.
                out.write(bucketName)
                let labelsStart = out.position
                writeLabels(series.labelValues, pieces, constants, into: &out)
                let labels = labelsStart..<out.position
                for bucket in tails.indices {
                    if bucket > 0 {
                        out.write(bucketName)
                        out.repeatWritten(labels)
                    }
                    out.write(tails[bucket])
                    out.write(decimal: bucket < series.bucketCounts.count ? series.bucketCounts[bucket] : series.count)
                    out.write(UInt8(ascii: "\n"))
                }
                out.write(sumName)
                out.repeatWritten(labels)
                out.write(closing)
                out.write(sampleValue: series.sum)
                out.write(UInt8(ascii: "\n"))
                out.write(countName)
                out.repeatWritten(labels)
                out.write(closing)
                out.write(decimal: series.count)
                out.write(UInt8(ascii: "\n"))
            }
        }
    }

    /// An estimate of the family's size, generous enough that a retry with a larger window is rare.
    private static func estimatedSize(of family: MetricFamily) -> Int {
        let name = family.name.utf8.count
        var total = 2 * (name + 24) + family.help.utf8.count * 2
        let labelNames = family.labelNames.reduce(0) { $0 + $1.utf8.count + 4 }
        switch family.type {
        case .counter, .gauge:
            for sample in family.samples {
                total += name + labelNames + 34 + sample.labelValues.reduce(0) { $0 + $1.utf8.count } * 5 / 4
            }
        case .histogram:
            let lines = family.buckets.count + 3
            let bounds = family.buckets.count * 16
            for series in family.histograms {
                let labels = labelNames + series.labelValues.reduce(0) { $0 + $1.utf8.count } * 5 / 4
                total += lines * (name + labels + 40) + bounds
            }
        }
        return total
    }
}
