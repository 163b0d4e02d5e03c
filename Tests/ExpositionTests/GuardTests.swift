import Testing
@testable import Exposition

/// Inputs that would make invalid output (or trap in other client libraries) are dropped and reported.
@Suite struct GuardTests {
    let good = gauge("good_gauge", labels: ["p"], [sample("x", value: 1)])

    /// Encodes in both formats, checks the good family survived, and returns the problems reported.
    private func problems(_ families: [MetricFamily]) -> [ExpositionProblem] {
        for format in [ExpositionFormat.text, .openMetrics] {
            #expect(render(families, format).contains(#"good_gauge{p="x"} 1"#))
        }
        return validateFamilies(families)
    }

    private func typeLines(_ families: [MetricFamily]) -> [Substring] {
        render(families, .openMetrics).split(separator: "\n").filter { $0.hasPrefix("# TYPE") }
    }

    @Test(arguments: ["", "1abc", "has space", "dash-name", "dot.name", "ünïcode", "new\nline", "quote\""])
    func invalidMetricNameDropsFamily(name: String) {
        let bad = gauge(name, [sample(value: 1)])
        let found = problems([bad, good])
        #expect(found.count == 1)
        #expect(found.first?.family == name)
        #expect(found.first?.message.contains("invalid metric name") == true)
        #expect(typeLines([bad, good]) == ["# TYPE good_gauge gauge"])
    }

    @Test func colonsAndUnderscoresAreValidMetricNames() {
        #expect(validateFamilies([gauge("_a:b_c9", [sample(value: 1)]), gauge(":x", [sample(value: 1)])]).isEmpty)
    }

    @Test(arguments: ["", "1a", "a-b", "a:b", "__reserved", "é", "a b"])
    func invalidLabelNameDropsFamily(label: String) {
        let bad = gauge("bad_gauge", labels: ["ok", label], [sample("1", "2", value: 1)])
        let found = problems([bad, good])
        #expect(found.map(\.family) == ["bad_gauge"])
        #expect(found.first?.message.contains("invalid label name") == true)
        #expect(typeLines([bad, good]) == ["# TYPE good_gauge gauge"])
    }

    @Test func repeatedLabelNameDropsFamily() {
        let bad = gauge("bad_gauge", labels: ["a", "a"], [sample("1", "2", value: 1)])
        #expect(problems([bad, good]).map(\.family) == ["bad_gauge"])
        #expect(!render([bad, good], .text).contains("bad_gauge"))
    }

    @Test func labelCountMismatchDropsOnlyThatSample() {
        let family = gauge("mixed_gauge", labels: ["a", "b"], [
            sample("1", "2", value: 1), sample("only-one", value: 2), sample("1", "2", "3", value: 3), sample("3", "4", value: 4),
        ])
        let found = problems([family, good])
        #expect(found.count == 1)
        #expect(found.first?.message.contains("2 series dropped (first: 1)") == true)
        #expect(sampleLines(render([family], .text)) == [#"mixed_gauge{a="1",b="2"} 1"#, #"mixed_gauge{a="3",b="4"} 4"#])
    }

    @Test func duplicateFamilyNameKeepsTheFirst() {
        let first = gauge("dup_gauge", [sample(value: 1)], help: "First.")
        let second = counter("dup_gauge", [sample(value: 2)], help: "Second.")
        let found = problems([first, good, second])
        #expect(found.count == 1)
        #expect(found.first?.message.contains("duplicate family name") == true)
        let text = render([first, good, second], .text)
        #expect(text.contains("# HELP dup_gauge First.\n"))
        #expect(!text.contains("Second."))
    }

    @Test func histogramSuffixCollisionKeepsTheHistogram() {
        let base = histogram("x_seconds", buckets: [1], [HistogramSample(labelValues: [], bucketCounts: [0], count: 0, sum: 0)])
        for suffix in ["_bucket", "_count", "_sum", "_created"] {
            let clash = gauge("x_seconds" + suffix, [sample(value: 5)])
            for families in [[clash, base, good], [good, base, clash]] {
                let found = problems(families)
                #expect(found.map(\.family) == ["x_seconds" + suffix])
                #expect(found.first?.message.contains("clashes with family x_seconds") == true)
                #expect(typeLines(families) == ["# TYPE good_gauge gauge", "# TYPE x_seconds histogram"])
            }
        }
    }

    @Test func counterTotalCollisionKeepsTheCounter() {
        let base = counter("events", [sample(value: 1)])
        let clash = gauge("events_total", [sample(value: 2)])
        let found = problems([clash, base, good])
        #expect(found.map(\.family) == ["events_total"])
        #expect(typeLines([clash, base, good]) == ["# TYPE events counter", "# TYPE good_gauge gauge"])
        #expect(sampleLines(render([clash, base], .text)) == ["events_total 1"])
    }

    @Test func histogramWithLeLabelIsDropped() {
        let bad = histogram("h_seconds", labels: ["le"], buckets: [1], [HistogramSample(labelValues: ["1"], bucketCounts: [1], count: 1, sum: 1)])
        let found = problems([bad, good])
        #expect(found.map(\.family) == ["h_seconds"])
        #expect(found.first?.message.contains("le is reserved") == true)
        #expect(!render([bad], .text).contains("h_seconds"))
        // `le` is an ordinary label on other types.
        #expect(validateFamilies([gauge("g", labels: ["le"], [sample("1", value: 1)])]).isEmpty)
    }

    @Test(arguments: [[1, 1], [2, 1], [1, .infinity], [.nan, 1], [-.infinity], [-1, 1]] as [[Double]])
    func badBucketsDropTheFamily(buckets: [Double]) {
        let counts = buckets.map { _ in UInt64(0) }
        let bad = histogram("h_seconds", buckets: buckets, [HistogramSample(labelValues: [], bucketCounts: counts, count: 0, sum: 0)])
        let found = problems([bad, good])
        #expect(found.map(\.family) == ["h_seconds"])
        #expect(found.first?.message.contains("bucket bounds") == true)
        #expect(!render([bad, good], .openMetrics).contains("h_seconds"))
    }

    @Test func badHistogramSeriesAreDroppedOneByOne() {
        let family = histogram("h_seconds", labels: ["s"], buckets: [1, 2], [
            HistogramSample(labelValues: ["ok"], bucketCounts: [1, 2], count: 3, sum: 4),
            HistogramSample(labelValues: ["short"], bucketCounts: [1], count: 3, sum: 4),
            HistogramSample(labelValues: ["long"], bucketCounts: [1, 2, 3], count: 3, sum: 4),
            HistogramSample(labelValues: ["decreasing"], bucketCounts: [2, 1], count: 3, sum: 4),
            HistogramSample(labelValues: ["count-below-last"], bucketCounts: [1, 2], count: 1, sum: 4),
            HistogramSample(labelValues: ["nan-sum"], bucketCounts: [1, 2], count: 3, sum: .nan),
            HistogramSample(labelValues: ["negative-sum"], bucketCounts: [1, 2], count: 3, sum: -1),
            HistogramSample(labelValues: ["a", "b"], bucketCounts: [1, 2], count: 3, sum: 4),
            HistogramSample(labelValues: ["ok"], bucketCounts: [1, 2], count: 3, sum: 4),
        ])
        let found = problems([family, good])
        #expect(found.count == 5)
        #expect(found.allSatisfy { $0.family == "h_seconds" })
        let lines = sampleLines(render([family], .openMetrics)).filter { $0 != "# EOF" }
        #expect(lines.count == 5)
        #expect(lines.allSatisfy { $0.contains(#"{s="ok""#) })
    }

    @Test func invalidCounterValuesAreDropped() {
        let family = counter("c", labels: ["k"], [sample("a", value: 1), sample("b", value: .nan), sample("c", value: -1),
                                                  sample("d", value: .infinity)])
        let found = problems([family, good])
        #expect(found.count == 1)
        #expect(found.first?.message.contains("2 series dropped (first: 1): counter value") == true)
        #expect(sampleLines(render([family], .text)) == [#"c_total{k="a"} 1"#, #"c_total{k="d"} +Inf"#])
        // Gauges may be anything.
        #expect(validateFamilies([gauge("g", [sample(value: -.nan)])]).isEmpty)
    }

    @Test func duplicateSeriesKeepTheFirst() {
        let sorted = gauge("g", labels: ["k"], [sample("a", value: 1), sample("a", value: 2), sample("b", value: 3)])
        let unsorted = gauge("h", labels: ["k"], [sample("b", value: 1), sample("a", value: 2), sample("b", value: 3),
                                                  sample("a", value: 4), sample("c", value: 5)])
        let unlabelled = gauge("u", [sample(value: 1), sample(value: 2)])
        let found = problems([sorted, unsorted, unlabelled, good])
        #expect(found.map(\.family) == ["g", "h", "u"])
        #expect(found.allSatisfy { $0.message.contains("same label values") })
        #expect(sampleLines(render([sorted, unsorted, unlabelled], .text)) == [
            #"g{k="a"} 1"#, #"g{k="b"} 3"#, #"h{k="b"} 1"#, #"h{k="a"} 2"#, #"h{k="c"} 5"#, "u 1",
        ])
    }

    @Test func canonicallyEquivalentButDifferentBytesAreDistinctSeries() {
        // Prometheus compares label values byte for byte; Swift's String equality would merge these.
        let composed = "caf\u{E9}", decomposed = "cafe\u{301}"
        for values in [[composed, decomposed], [decomposed, composed], ["z", composed, decomposed]] {
            let family = gauge("g", labels: ["k"], values.map { sample($0, value: 1) })
            #expect(validateFamilies([family]).isEmpty)
            #expect(sampleLines(render([family], .text)).count == values.count)
        }
    }

    @Test func seriesOfTheWrongKindAreIgnoredAndReported() {
        var mixed = gauge("g", [sample(value: 1)])
        mixed.histograms = [HistogramSample(labelValues: [], bucketCounts: [], count: 1, sum: 1)]
        let found = problems([mixed, good])
        #expect(found.map(\.family) == ["g"])
        #expect(sampleLines(render([mixed], .text)) == ["g 1"])
    }

    @Test func invalidFamilyDoesNotBlockALaterValidDuplicate() {
        let invalid = gauge("same", labels: ["bad-label"], [sample("x", value: 1)])
        let valid = gauge("same", [sample(value: 2)])
        #expect(problems([invalid, valid, good]).count == 1)
        #expect(sampleLines(render([invalid, valid], .text)) == ["same 2"])
    }

    @Test func problemDescriptionNamesFamily() {
        let problem = ExpositionProblem(family: "f", message: "m")
        #expect(problem.description == "f: m")
    }
}
