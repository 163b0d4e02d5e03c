import Foundation
import HealthCore
import HistoryStore
import Logging
import NIOCore
import OutcomeIngest
import Testing

@testable import Exporter

/// The whole /metrics of a fixed state, pinned in testdata/metrics.golden.prom, so that a renamed or re-labelled
/// series is a deliberate change. After such a change, regenerate the file and review its diff:
///
///     UPDATE_GOLDEN=1 swift test --filter GoldenExpositionTests
@Suite struct GoldenExpositionTests {
    static let goldenPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("testdata/metrics.golden.prom").path

    @Test func metricsOfAFixedStateMatchTheGoldenFile() throws {
        let exposition = Self.fixedStateExposition()
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try exposition.write(toFile: Self.goldenPath, atomically: true, encoding: .utf8)
        }
        let golden = try String(contentsOfFile: Self.goldenPath, encoding: .utf8)
        let expected = golden.split(separator: "\n", omittingEmptySubsequences: false)
        let actual = exposition.split(separator: "\n", omittingEmptySubsequences: false)
        let firstDifference = zip(expected, actual).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(
            exposition == golden,
            """
            /metrics differs from \(Self.goldenPath) (\(actual.count) lines, golden \(expected.count)); first difference \
            at line \((firstDifference?.offset ?? min(expected.count, actual.count)) + 1):
              golden: \(firstDifference.map { String($0.element.0) } ?? "")
              actual: \(firstDifference.map { String($0.element.1) } ?? "")
            Regenerate with UPDATE_GOLDEN=1 if the change is intended.
            """)
    }

    /// Four providers in four states — healthy with completions and traffic, down, waiting out a retry-after,
    /// and with a rejected key — after three cycles, with every collector the exporter serves.
    static func fixedStateExposition() -> String {
        let providers = [
            provider("openai", models: ["gpt-4o", "gpt-4o-mini"], completion: true),
            provider("anthropic", models: ["claude-sonnet"]),
            provider("groq", models: ["llama"]),
            provider("mistral", models: ["mistral-large"]),
        ]
        let store = HealthStore(configuration: ExporterConfiguration(providers: providers))
        let start = 1_767_225_600.0  // 2026-01-01T00:00:00Z
        for i in 0..<8 {
            let at = start + Double(i) * 10
            store.record(outcome("openai", models: ["gpt-4o", "gpt-4o-mini"], success: true, at: at, latency: 0.05 * Double(i + 1)), completedAt: at)
            store.record(outcome("anthropic", models: ["claude-sonnet"], success: false, at: at, latency: 0.3, reason: .http5xx), completedAt: at)
            store.record(outcome("mistral", models: ["mistral-large"], success: false, at: at, latency: 0.1, reason: .auth), completedAt: at)
        }
        store.record(
            outcome("groq", models: ["llama"], success: false, at: start + 5, latency: 0.02, reason: .rateLimited,
                    rateLimit: RateLimitSnapshot(requestsRemaining: 0, requestsLimit: 30, retryAfterSeconds: 900)),
            completedAt: start + 5)
        let traffic = (0..<6).map { i -> ModelResult in
            let failed = i == 3
            let latency = 1.5 + Double(i) / 4
            return ModelResult(
                provider: "openai", model: "gpt-4o", success: !failed, reason: failed ? .http5xx : nil,
                latencySeconds: latency, statusCode: failed ? 500 : 200, source: .traffic, timestamp: start + 30 + Double(i),
                timeToFirstTokenSeconds: failed ? nil : 0.2 + Double(i) / 10)
        }
        _ = store.recordTraffic(traffic) { (_: Set<String>, _: [String: Set<String>]) throws(Never) in }

        let ingest = IngestRecorder(store: store, limits: IngestLimits(), environment: [:])
        ingest.countRejection(reason: "body_too_large")
        let reload = ReloadStatus()
        reload.recordSuccess(at: start - 60)
        let process = ProcessCollector(read: {
            ProcessMetrics(
                cpuSeconds: 12.5, residentMemoryBytes: 24_117_248, virtualMemoryBytes: 1_073_741_824,
                startTimeSeconds: start - 3600, openFDs: 17, maxFDs: 1_048_576)
        })
        let aggregator = Aggregator(
            store: store, history: HistoryStore(path: HistoryStore.inMemoryPath), collectors: [ingest, process],
            reloadStatus: reload, version: "1.2.3", revision: "abc1234", logger: Logger(label: "golden"))
        for cycle in 1...3 { aggregator.runCycle(now: start + 80 + Double(cycle) * 30) }
        // The one value measured rather than derived from the state: how long the previous cycle took.
        return String(buffer: aggregator.holder.snapshot.text)
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("provider_health_exporter_aggregation_duration_seconds ") ? "provider_health_exporter_aggregation_duration_seconds 0" : String($0) }
            .joined(separator: "\n")
    }
}
