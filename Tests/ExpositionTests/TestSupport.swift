@testable import Exposition

/// Encodes and decodes to a String for readable assertions.
func render(_ families: [MetricFamily], _ format: ExpositionFormat) -> String {
    String(decoding: ExpositionEncoder.encode(families, format: format), as: UTF8.self)
}

/// The sample lines of an exposition (comments and blank lines removed).
func sampleLines(_ text: String) -> [Substring] {
    text.split(separator: "\n").filter { !$0.hasPrefix("#") }
}

func gauge(_ name: String, labels: [String] = [], _ samples: [MetricSample] = [], help: String = "Help.") -> MetricFamily {
    MetricFamily(name: name, help: help, type: .gauge, labelNames: labels, samples: samples)
}

func counter(_ name: String, labels: [String] = [], _ samples: [MetricSample] = [], help: String = "Help.") -> MetricFamily {
    MetricFamily(name: name, help: help, type: .counter, labelNames: labels, samples: samples)
}

func histogram(
    _ name: String, labels: [String] = [], buckets: [Double], _ series: [HistogramSample], help: String = "Help."
) -> MetricFamily {
    MetricFamily(name: name, help: help, type: .histogram, labelNames: labels, histograms: series, buckets: buckets)
}

func sample(_ values: String..., value: Double) -> MetricSample {
    MetricSample(labelValues: values, value: value)
}
