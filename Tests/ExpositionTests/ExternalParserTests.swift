import Foundation
import Testing
@testable import Exposition

/// Feeds the encoder's output for hostile input to the reference tools: `promtool check metrics` (the Go
/// parser plus lint) and `prometheus_client`'s text and OpenMetrics parsers, which must give back exactly
/// the label values, help texts and values that went in. The tools are required: a missing tool fails.
@Suite struct ExternalParserTests {
    static let nastyValues = [
        "plain", "quote\"inside", "back\\slash", "trailing backslash\\", "new\nline", "literal \\n escape",
        "\\\"", "tab\tseparated", "carriage\rreturn", "Zürich ☃ 日本語", "🚀👩‍💻🏳️‍🌈", "", "}{,=\" # ",
        "  padded  ", "line\u{2028}separator\u{85}next", "nul\u{0}byte", String(repeating: "long\\\"\n✓", count: 400),
    ]

    static let families: [MetricFamily] = {
        let providers = nastyValues
        let results = MetricFamily(
            name: "provider_results", help: "Results \"seen\" per provider \\ source,\nfrom the last cycle.",
            type: .counter, labelNames: ["provider", "source"],
            samples: providers.enumerated().map { index, provider in
                MetricSample(labelValues: [provider, index % 2 == 0 ? "probe" : "traffic"],
                             value: [0, 1, 12345, 1e20, 0.5, .infinity][index % 6])
            })
        let scores = MetricFamily(
            name: "provider_health_score", help: "Health score 0..1.", type: .gauge, labelNames: ["provider"],
            samples: providers.enumerated().map { index, provider in
                MetricSample(labelValues: [provider],
                             value: [0.1 + 0.2, .nan, -.infinity, .infinity, -2.5, 1e-300, .leastNonzeroMagnitude][index % 7])
            })
        let buckets = [0.00001, 0.05, 0.1, 0.25, 1, 2.5, 10, 123456, 1e6, 1234567.5]
        let latency = MetricFamily(
            name: "provider_response_time_seconds", help: "Latency of each result, in seconds.", type: .histogram,
            labelNames: ["provider", "_model"],
            histograms: providers.enumerated().map { index, provider in
                let counts = buckets.indices.map { UInt64($0 * index) }
                return HistogramSample(labelValues: [provider, "m\(index)"], bucketCounts: counts,
                                       count: (counts.last ?? 0) + 3, sum: Double(index) * 0.37)
            },
            buckets: buckets)
        let up = MetricFamily(name: "exporter_up", help: "", type: .gauge, labelNames: [],
                              samples: [MetricSample(labelValues: [], value: 1)])
        let start = MetricFamily(name: "process_start_time_seconds", help: "Start time.", type: .gauge, labelNames: [],
                                 samples: [MetricSample(labelValues: [], value: 1_763_900_000.25)])
        return [scores, start, results, latency, up]
    }()

    /// Families the encoder must drop; mixed into every encoded fixture, they must leave no trace.
    static let garbage: [MetricFamily] = [
        MetricFamily(name: "bad name", help: "x", type: .gauge, labelNames: [], samples: [MetricSample(labelValues: [], value: 1)]),
        MetricFamily(name: "provider_results", help: "Duplicate.", type: .gauge, labelNames: [],
                     samples: [MetricSample(labelValues: [], value: 1)]),
        MetricFamily(name: "provider_results_total", help: "Clash.", type: .gauge, labelNames: [],
                     samples: [MetricSample(labelValues: [], value: 1)]),
        MetricFamily(name: "provider_response_time_seconds_bucket", help: "Clash.", type: .gauge, labelNames: [],
                     samples: [MetricSample(labelValues: [], value: 1)]),
        MetricFamily(name: "le_histogram_seconds", help: "Reserved label.", type: .histogram, labelNames: ["le"],
                     histograms: [HistogramSample(labelValues: ["1"], bucketCounts: [], count: 1, sum: 1)]),
        MetricFamily(name: "unsorted_buckets_seconds", help: "Bad buckets.", type: .histogram, labelNames: [],
                     histograms: [HistogramSample(labelValues: [], bucketCounts: [1, 1], count: 1, sum: 1)], buckets: [2, 1]),
        MetricFamily(name: "bad_label_gauge", help: "Bad label.", type: .gauge, labelNames: ["a-b"],
                     samples: [MetricSample(labelValues: ["x"], value: 1)]),
    ]

    /// What gets encoded: the valid families first (so duplicates keep them), garbage after.
    static var encoded: [MetricFamily] { families + garbage }

    @Test func promtoolAcceptsTextOutputWithoutLintProblems() throws {
        var families = Self.encoded
        families.removeAll { $0.help.isEmpty }  // promtool lints empty help; covered by the parser test below
        let file = try TempFile(ExpositionEncoder.encode(families, format: .text))
        let promtool = "/usr/bin/promtool"
        try #require(FileManager.default.isExecutableFile(atPath: promtool),
                     "promtool is required at \(promtool) (Debian/Ubuntu: apt-get install prometheus)")
        let run = try runProcess(promtool, ["check", "metrics"], stdin: file.url)
        #expect(run.status == 0, "promtool check metrics failed:\n\(run.output)")
    }

    @Test func pythonParsersRoundTripEveryLabelValue() throws {
        let text = try TempFile(ExpositionEncoder.encode(Self.encoded, format: .text))
        let openMetrics = try TempFile(ExpositionEncoder.encode(Self.encoded, format: .openMetrics))
        let script = try TempFile(Array(Self.pythonScript.utf8))
        let probe = try runProcess("/usr/bin/env", ["python3", "-c", "import prometheus_client"])
        try #require(probe.status == 0,
                     "python3 with prometheus_client is required (pip install prometheus_client); got:\n\(probe.output)")
        let run = try runProcess("/usr/bin/env", ["python3", script.url.path, text.url.path, openMetrics.url.path])
        try #require(run.status == 0, "prometheus_client rejected the output:\n\(run.output)")
        let parsed = try JSONDecoder().decode([String: [ParsedFamily]].self, from: Data(run.stdout.utf8))
        let expected = Self.expectedFamilies(Self.families)
        for format in ["text", "openmetrics"] {
            let families = try #require(parsed[format])
            #expect(families.map(\.name) == expected.map(\.name), "\(format): family names")
            for (got, want) in zip(families, expected) {
                #expect(got.type == want.type, "\(format) \(want.name): type")
                #expect(got.samples.count == want.samples.count, "\(format) \(want.name): sample count")
                for (gotSample, wantSample) in zip(got.samples, want.samples) {
                    #expect(gotSample.name == wantSample.name, "\(format): sample name")
                    #expect(gotSample.labels == wantSample.labels, "\(format) \(want.name): labels")
                    #expect(sameValue(gotSample.value, wantSample.value),
                            "\(format) \(want.name): value \(gotSample.value) vs \(wantSample.value)")
                }
            }
        }
        // The text parser splits header lines on whitespace and strips them, so only the OpenMetrics
        // parser is held to an exact help round trip.
        for (got, want) in zip(parsed["openmetrics"] ?? [], expected) {
            #expect(got.help == want.help, "openmetrics \(want.name): help")
        }
    }

    @Test func fixtureProblemsAreExactlyTheGarbage() {
        #expect(validateFamilies(Self.families).isEmpty)
        #expect(validateFamilies(Self.encoded).map(\.family).sorted() == Self.garbage.map(\.name).sorted())
    }

    /// What a parser should return: families by name, counters as `x` with `x_total` samples.
    static func expectedFamilies(_ families: [MetricFamily]) -> [ParsedFamily] {
        families.sorted { $0.name < $1.name }.map { family in
            var samples: [ParsedSample] = []
            func labels(_ values: [String]) -> [String: String] {
                Dictionary(uniqueKeysWithValues: zip(family.labelNames, values))
            }
            switch family.type {
            case .counter, .gauge:
                let name = family.type == .counter ? family.name + "_total" : family.name
                samples = family.samples.map { ParsedSample(name: name, labels: labels($0.labelValues), value: $0.value) }
            case .histogram:
                for series in family.histograms {
                    for (bound, count) in zip(family.buckets + [.infinity], series.bucketCounts + [series.count]) {
                        var bucketLabels = labels(series.labelValues)
                        bucketLabels["le"] = canonicalFloat(bound)
                        samples.append(ParsedSample(name: family.name + "_bucket", labels: bucketLabels, value: Double(count)))
                    }
                    samples.append(ParsedSample(name: family.name + "_sum", labels: labels(series.labelValues), value: series.sum))
                    samples.append(ParsedSample(name: family.name + "_count", labels: labels(series.labelValues),
                                                value: Double(series.count)))
                }
            }
            return ParsedFamily(name: family.name, type: family.type.rawValue, help: family.help, samples: samples)
        }
    }

    /// Prints both parses as JSON; values as Python repr strings so NaN and infinities survive JSON.
    /// Also insists that every `le` is in the canonical form Python's client itself writes.
    static let pythonScript = #"""
    import json, sys
    from prometheus_client.parser import text_string_to_metric_families as parse_text
    from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
    from prometheus_client.utils import floatToGoString

    def dump(families):
        out = []
        for family in families:
            samples = []
            for s in family.samples:
                if "le" in s.labels and s.labels["le"] != floatToGoString(float(s.labels["le"])):
                    raise SystemExit("non-canonical le: %r" % s.labels["le"])
                samples.append({"name": s.name, "labels": s.labels, "value": repr(float(s.value))})
            out.append({"name": family.name, "type": family.type, "help": family.documentation, "samples": samples})
        return out

    def read(path):
        with open(path, "rb") as f:
            return f.read().decode("utf-8")

    print(json.dumps({"text": dump(parse_text(read(sys.argv[1]))),
                      "openmetrics": dump(parse_openmetrics(read(sys.argv[2])))}))
    """#
}

struct ParsedFamily: Decodable {
    let name: String
    let type: String
    let help: String
    let samples: [ParsedSample]
}

struct ParsedSample: Decodable {
    let name: String
    let labels: [String: String]
    let value: Double

    init(name: String, labels: [String: String], value: Double) {
        self.name = name
        self.labels = labels
        self.value = value
    }

    init(from decoder: Decoder) throws {
        enum Keys: String, CodingKey { case name, labels, value }
        let container = try decoder.container(keyedBy: Keys.self)
        name = try container.decode(String.self, forKey: .name)
        labels = try container.decode([String: String].self, forKey: .labels)
        let text = try container.decode(String.self, forKey: .value)
        value = try #require(Double(text), "unparsable value \(text)")
    }
}

private func sameValue(_ lhs: Double, _ rhs: Double) -> Bool {
    lhs == rhs || (lhs.isNaN && rhs.isNaN)
}

/// A file in the temporary directory, removed when the test is done with it.
final class TempFile {
    let url: URL

    init(_ bytes: [UInt8]) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("exposition-\(UUID().uuidString)")
        try Data(bytes).write(to: url)
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

struct ProcessRun {
    let status: Int32
    let stdout: String
    let stderr: String
    var output: String { stdout + stderr }
}

/// Runs a process to completion; output goes through files so large outputs cannot block on a full pipe.
func runProcess(_ executable: String, _ arguments: [String], stdin: URL? = nil) throws -> ProcessRun {
    let stdoutFile = try TempFile([]), stderrFile = try TempFile([])
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardInput = try stdin.map { try FileHandle(forReadingFrom: $0) } ?? FileHandle.nullDevice
    process.standardOutput = try FileHandle(forWritingTo: stdoutFile.url)
    process.standardError = try FileHandle(forWritingTo: stderrFile.url)
    try process.run()
    process.waitUntilExit()
    return ProcessRun(status: process.terminationStatus,
                      stdout: String(decoding: try Data(contentsOf: stdoutFile.url), as: UTF8.self),
                      stderr: String(decoding: try Data(contentsOf: stderrFile.url), as: UTF8.self))
}
