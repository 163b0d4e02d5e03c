import TestSupport
import Testing
@testable import Exposition

@Suite struct RenderingTests {
    let requests = counter("provider_results", labels: ["provider"], [sample("openai", value: 12)], help: "Results.")

    @Test func textCounterUsesTotalNameEverywhere() {
        #expect(render([requests], .text) == """
            # HELP provider_results_total Results.
            # TYPE provider_results_total counter
            provider_results_total{provider="openai"} 12

            """)
    }

    @Test func openMetricsCounterNamesFamilyWithoutTotalAndEndsWithEOF() {
        #expect(render([requests], .openMetrics) == """
            # HELP provider_results Results.
            # TYPE provider_results counter
            provider_results_total{provider="openai"} 12
            # EOF

            """)
    }

    @Test func emptyInputIsEmptyTextOrJustEOF() {
        #expect(ExpositionEncoder.encode([], format: .text).isEmpty)
        #expect(render([], .openMetrics) == "# EOF\n")
    }

    @Test func emptyLabelSetHasNoBraces() {
        let family = gauge("build_info", [sample(value: 1)])
        #expect(sampleLines(render([family], .text)) == ["build_info 1"])
    }

    @Test(arguments: [ExpositionFormat.text, .openMetrics])
    func histogramRendersCumulativeBucketsSumAndCount(format: ExpositionFormat) {
        let family = histogram("latency_seconds", labels: ["provider"], buckets: [0.05, 0.1, 1, 10], [
            HistogramSample(labelValues: ["groq"], bucketCounts: [1, 3, 3, 7], count: 9, sum: 27.25),
        ])
        #expect(sampleLines(render([family], format)) == [
            #"latency_seconds_bucket{provider="groq",le="0.05"} 1"#,
            #"latency_seconds_bucket{provider="groq",le="0.1"} 3"#,
            #"latency_seconds_bucket{provider="groq",le="1.0"} 3"#,
            #"latency_seconds_bucket{provider="groq",le="10.0"} 7"#,
            #"latency_seconds_bucket{provider="groq",le="+Inf"} 9"#,
            #"latency_seconds_sum{provider="groq"} 27.25"#,
            #"latency_seconds_count{provider="groq"} 9"#,
        ])
        #expect(render([family], format).contains("# TYPE latency_seconds histogram\n"))
    }

    @Test func histogramWithoutLabelsOrBuckets() {
        let family = histogram("wait_seconds", buckets: [], [HistogramSample(labelValues: [], bucketCounts: [], count: 2, sum: 0.5)])
        #expect(sampleLines(render([family], .openMetrics)) == [
            #"wait_seconds_bucket{le="+Inf"} 2"#, "wait_seconds_sum 0.5", "wait_seconds_count 2",
        ])
    }

    @Test func specialAndFractionalValues() {
        let values: [Double] = [.infinity, -.infinity, .nan, 0, -0.0, 0.25, -3, 1e-7, 1e20, 123456789, 0.1 + 0.2]
        let family = gauge("g", labels: ["i"], values.enumerated().map { sample("\($0)", value: $1) })
        let rendered = sampleLines(render([family], .text)).map { $0.split(separator: " ").last.map(String.init) ?? "" }
        #expect(rendered == ["+Inf", "-Inf", "NaN", "0", "0", "0.25", "-3", "1e-07", "1e+20", "123456789", "0.30000000000000004"])
        for (text, value) in zip(rendered, values) where !value.isNaN {
            #expect(Double(text) == value)
        }
    }

    @Test func bucketBoundsUseOpenMetricsCanonicalForm() {
        #expect(canonicalFloat(0.05) == "0.05")
        #expect(canonicalFloat(1) == "1.0")
        #expect(canonicalFloat(10) == "10.0")
        #expect(canonicalFloat(0) == "0.0")
        #expect(canonicalFloat(123456) == "123456.0")
        #expect(canonicalFloat(1e6) == "1e+06")
        #expect(canonicalFloat(1234567.5) == "1.2345675e+06")
        #expect(canonicalFloat(1e-5) == "1e-05")
        #expect(canonicalFloat(0.0001) == "0.0001")
        #expect(canonicalFloat(2.5e-7) == "2.5e-07")
        #expect(canonicalFloat(1.5e300) == "1.5e+300")
        #expect(canonicalFloat(.infinity) == "+Inf")
    }

    @Test func familiesAreSortedByNameWhateverTheInputOrder() {
        let families = [
            gauge("b_gauge", [sample(value: 1)]), counter("a_requests", [sample(value: 2)]),
            histogram("c_seconds", buckets: [1], [HistogramSample(labelValues: [], bucketCounts: [1], count: 1, sum: 1)]),
            gauge("aa_gauge", [sample(value: 3)]),
        ]
        let expected = ExpositionEncoder.encode(families, format: .openMetrics)
        let typeLines = String(decoding: expected, as: UTF8.self).split(separator: "\n").filter { $0.hasPrefix("# TYPE") }
        #expect(typeLines == ["# TYPE a_requests counter", "# TYPE aa_gauge gauge", "# TYPE b_gauge gauge", "# TYPE c_seconds histogram"])
        var generator = SeededGenerator(seed: 42)
        for _ in 0..<20 {
            #expect(ExpositionEncoder.encode(families.shuffled(using: &generator), format: .openMetrics) == expected)
        }
    }

    @Test func samplesKeepTheCallersOrder() {
        let family = gauge("g", labels: ["p"], [sample("zeta", value: 1), sample("alpha", value: 2), sample("mid", value: 3)])
        #expect(sampleLines(render([family], .text)) == [#"g{p="zeta"} 1"#, #"g{p="alpha"} 2"#, #"g{p="mid"} 3"#])
    }

    @Test func contentTypes() {
        #expect(ExpositionFormat.text.contentType == "text/plain; version=0.0.4; charset=utf-8")
        #expect(ExpositionFormat.openMetrics.contentType == "application/openmetrics-text; version=1.0.0; charset=utf-8")
    }

    @Test func manySeriesRenderCompletely() {
        // 100 providers x 50 models in several families: every series present exactly once.
        var families: [MetricFamily] = []
        var availability: [MetricSample] = []
        var latency: [HistogramSample] = []
        for provider in 0..<100 {
            for model in 0..<50 {
                availability.append(sample("p\(provider)", "m\(model)", value: Double(model % 2)))
                latency.append(HistogramSample(labelValues: ["p\(provider)", "m\(model)"], bucketCounts: [1, 2, 3],
                                               count: 4, sum: 1.5))
            }
        }
        families.append(gauge("model_availability", labels: ["provider", "model"], availability))
        families.append(histogram("model_response_time_seconds", labels: ["provider", "model"], buckets: [0.1, 1, 10], latency))
        let lines = sampleLines(render(families, .text))
        #expect(lines.count == 5_000 + 5_000 * 6)
        #expect(validateFamilies(families).isEmpty)
    }
}


@Suite struct BufferGrowthTests {
    let families = [
        gauge("a_gauge", labels: ["v"], [sample(String(repeating: "\"\\\n", count: 300), value: 1), sample("x", value: 0.5)]),
        counter("b_events", [sample(value: 7)], help: String(repeating: "\"", count: 100)),
        histogram("c_seconds", labels: ["p"], buckets: [0.5, 1],
                  [HistogramSample(labelValues: ["\"q\""], bucketCounts: [1, 2], count: 3, sum: 1.25)]),
    ]

    @Test(arguments: [ExpositionFormat.text, .openMetrics])
    func anyStartingCapacityGivesTheSameBytes(format: ExpositionFormat) {
        let reference = ExpositionEncoder.encode(families, format: format)
        #expect(reference.count > 1_900)
        for capacity in 1...(reference.count + 1) {
            #expect(ExpositionEncoder.encode(families, format: format, initialCapacity: capacity) == reference,
                    "initial capacity \(capacity)")
        }
    }

    @Test func heavyEscapingOutgrowsTheEstimate() {
        let quotes = String(repeating: "\"", count: 50_000)
        let family = gauge("q_gauge", labels: ["v"], [sample(quotes, value: 1)])
        let line = sampleLines(render([family], .text)).first.map(String.init)
        #expect(line == "q_gauge{v=\"" + String(repeating: "\\\"", count: 50_000) + "\"} 1")
    }
}
