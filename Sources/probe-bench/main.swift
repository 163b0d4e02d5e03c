// Probe overhead: the latency the exporter reports for a probe minus the delay the fake provider injected
// (0, 50, 300 ms), p50/p99; and the wall time of one probe cycle of 2,000 models across 50 providers that
// each answer after 1 s, run by the exporter's own scheduler into its store, then rolled up.
// Run a release build:
//   swift run -c release probe-bench [--quick]
// Prints `probe_overhead delay_ms=… probes=… p50_ms=… p99_ms=…` lines and one `probe_cycle …` line.
import Exporter
import Foundation
import HealthCore
import Logging
import Probing

let quick = CommandLine.arguments.contains("--quick")

func quantile(_ q: Double, _ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))]
}

func format(_ seconds: Double) -> String { String(format: "%.3f", seconds * 1000) }

// 1. Overhead of one probe over the injected delay, sequential probes on a kept-alive connection.
let single = try await FixedDelayProvider.start(host: "127.0.0.1", models: 1)
let client = HTTPProbeClient()
let prober = makeProber(for: .openai, client: client)
for (delay, count) in quick ? [(0, 30), (50, 10), (300, 3)] : [(0, 400), (50, 120), (300, 40)] {
    let settings = ProviderSettings(
        name: "fixed-\(delay)", kind: .openai, baseURL: single.baseURL(delayMilliseconds: delay), apiKey: .inline(Secret("k")),
        models: [ModelSettings(name: "model-0")], timeoutSeconds: 10)
    _ = try await prober.probe(settings, apiKey: Secret("k"))  // warm the connection
    var overheads: [Double] = []
    for _ in 0..<count {
        let outcome = try await prober.probe(settings, apiKey: Secret("k"))
        guard let result = outcome.results.first, result.success else {
            fatalError("probe of the fake provider failed: \(outcome.results.first?.error ?? "no result")")
        }
        overheads.append(result.latencySeconds - Double(delay) / 1000)
    }
    print("probe_overhead delay_ms=\(delay) probes=\(count) p50_ms=\(format(quantile(0.5, overheads))) p99_ms=\(format(quantile(0.99, overheads)))")
}
await single.stop()

// 2. One cycle: 50 providers (each its own loopback address, as real providers are distinct hosts) × 40 models,
// 1 s injected latency, probed by the exporter's scheduler.
let providerCount = quick ? 10 : 50
let modelsPerProvider = 40
let injected = 1000
var fakes: [FixedDelayProvider] = []
for i in 0..<providerCount { fakes.append(try await FixedDelayProvider.start(host: "127.0.0.\(i + 1)", models: modelsPerProvider)) }
var global = GlobalSettings()
global.aggregationIntervalSeconds = 3600
let providers = fakes.enumerated().map { i, fake in
    ProviderSettings(
        name: "cycle-\(i)", kind: .openai, baseURL: fake.baseURL(delayMilliseconds: injected), apiKey: .inline(Secret("k")),
        models: (0..<modelsPerProvider).map { ModelSettings(name: "model-\($0)") }, intervalSeconds: 3600,
        timeoutSeconds: 10, jitterSeconds: 0, maxProbesPerHour: 100_000)
}
let store = HealthStore(configuration: ExporterConfiguration(global: global, providers: providers))
let scheduler = ProbeScheduler(
    store: store, client: HTTPProbeClient(), environment: [:],
    logger: Logger(label: "probe-bench", factory: { _ in SwiftLogNoOpLogHandler() }))
let started = ContinuousClock.now
let running = Task { try await scheduler.run() }
var recorded = 0
while recorded < providerCount * modelsPerProvider {
    try await Task.sleep(for: .milliseconds(2))
    recorded = Int(store.resultsRecorded)
    if ContinuousClock.now - started > .seconds(60) { fatalError("probe cycle did not finish in 60 s (\(recorded) results)") }
}
let rollup = store.aggregate(now: Date().timeIntervalSince1970)
let wall = ContinuousClock.now - started
running.cancel()
let available = rollup.rollups.reduce(0) { $0 + $1.modelsAvailable }
let wallSeconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) * 1e-18
print("probe_cycle providers=\(providerCount) models=\(providerCount * modelsPerProvider) injected_ms=\(injected) available=\(available) wall_s=\(String(format: "%.3f", wallSeconds))")
for fake in fakes { await fake.stop() }
