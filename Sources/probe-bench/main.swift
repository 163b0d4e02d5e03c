// Probe overhead: the latency the exporter reports for a probe minus the delay the fake provider injected
// (0, 50, 300 ms), p50/p99; the throughput of the HTTP client alone, 8 requests at a time to one provider
// answering at once; the wall time of one probe cycle of 2,000 models across 50 providers that each answer
// after 1 s, run by the exporter's own scheduler into its store, then rolled up; and the resident memory after all.
// Run a release build:
//   swift run -c release probe-bench [--quick]
// Prints `probe_overhead delay_ms=… probes=… p50_ms=… p99_ms=…` lines, one `probe_throughput …`, one
// `probe_cycle …` and one `probe_memory …` line.
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

// 2. Throughput of the client alone: 8 workers (the client's default connections per origin), each sending the next
// request as soon as its previous one is answered, to a provider that answers a 40-model list at once.
let busy = try await FixedDelayProvider.start(host: "127.0.0.1", models: 40)
let workers = 8
let perWorker = quick ? 250 : 2_500
let throughputClient = HTTPProbeClient()
let listURL = busy.baseURL(delayMilliseconds: 0) + "/models"
_ = try await throughputClient.send(HTTPProbeRequest(url: listURL, timeoutSeconds: 10))
let throughputStart = ContinuousClock.now
let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
    for _ in 0..<workers {
        group.addTask {
            var own: [Double] = []
            own.reserveCapacity(perWorker)
            for _ in 0..<perWorker {
                let result = try await throughputClient.send(HTTPProbeRequest(url: listURL, timeoutSeconds: 10))
                guard result.response?.statusCode == 200 else { fatalError("throughput request failed: \(result)") }
                own.append(result.latencySeconds)
            }
            return own
        }
    }
    var all: [Double] = []
    for try await own in group { all += own }
    return all
}
let throughputWall = ContinuousClock.now - throughputStart
let throughputSeconds = Double(throughputWall.components.seconds) + Double(throughputWall.components.attoseconds) * 1e-18
print("probe_throughput concurrency=\(workers) probes=\(latencies.count) per_s=\(String(format: "%.0f", Double(latencies.count) / throughputSeconds)) p50_ms=\(format(quantile(0.5, latencies))) p99_ms=\(format(quantile(0.99, latencies)))")
await busy.stop()

// 3. One cycle: 50 providers (each its own loopback address, as real providers are distinct hosts) × 40 models,
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

// 4. Resident memory after all of the above (the cycle held 2,000 requests in flight at once).
let memory = residentMemoryMiB()
print("probe_memory rss_mib=\(String(format: "%.1f", memory.current)) peak_rss_mib=\(String(format: "%.1f", memory.peak))")
