// Time and allocations of one aggregation cycle (roll-up of every provider's window, then the whole
// cycle with /metrics rendering) for 10k / 100k / 1M results over 100 / 1,000 / 10,000 models.
// Run a release build:
//   swift run -c release aggregation-bench [--quick]
// Allocation counts need bench/alloc-count.so preloaded (bench/run.sh does it); without it they read "n/a".
// Prints one line per case: `aggregation models=M results=N rollup_ms=… rollup_allocs=… cycle_ms=…`.
import Exporter
import Foundation
import HealthCore
import Logging

let quick = CommandLine.arguments.contains("--quick")
let modelCounts = [100, 1_000, 10_000]
let resultCounts = quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000]
let providerCount = 10
let now = 1_750_000_000.0

/// Calls counted by the preloaded allocation counter, or nil when it is not loaded.
let allocationCounter: UnsafeMutablePointer<UInt64>? = {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "bench_allocation_calls") else { return nil }
    return symbol.assumingMemoryBound(to: UInt64.self)
}()

@MainActor func allocations() -> UInt64? { allocationCounter.map { $0.pointee } }

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
}

@MainActor func makeStore(models: Int, results: Int) -> HealthStore {
    let perProvider = max(1, models / providerCount)
    var global = GlobalSettings()
    global.windowSeconds = 300
    let providers = (0..<providerCount).map { p in
        ProviderSettings(
            name: "provider-\(p)", kind: .openai, baseURL: "http://127.0.0.1:1/v1",
            models: (0..<perProvider).map { ModelSettings(name: "model-\($0)") })
    }
    let store = HealthStore(configuration: ExporterConfiguration(global: global, providers: providers))
    let modelNames = (0..<perProvider).map { "model-\($0)" }
    let providerNames = providers.map(\.name)
    // Results spread over the last four minutes, in time order, 5 % failures, latencies 20 ms .. 2 s.
    var batch: [ModelResult] = []
    batch.reserveCapacity(10_000)
    for i in 0..<results {
        let success = i % 20 != 0
        batch.append(
            ModelResult(
                provider: providerNames[i % providerCount], model: modelNames[(i / providerCount) % perProvider],
                success: success, reason: success ? nil : .http5xx, latencySeconds: 0.02 + Double(i % 997) / 500,
                statusCode: success ? 200 : 503, source: .traffic, timestamp: now - 240 + 240 * Double(i) / Double(results)))
        if batch.count == 10_000 {
            store.record(batch)
            batch.removeAll(keepingCapacity: true)
        }
    }
    store.record(batch)
    return store
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

let clock = ContinuousClock()
let repeats = quick ? 1 : 5
for models in modelCounts {
    for results in resultCounts {
        let store = makeStore(models: models, results: results)
        var rollupTimes: [Double] = []
        var rollupAllocations: UInt64?
        for _ in 0..<repeats {
            let before = allocations()
            var rolled: CycleReport?
            rollupTimes.append(seconds(clock.measure { rolled = store.aggregate(now: now) }))
            if let before, let after = allocations() { rollupAllocations = after - before }
            precondition(rolled?.providers.count == providerCount)
        }
        let aggregator = Aggregator(
            store: store, reloadStatus: ReloadStatus(), version: "bench", revision: "bench",
            logger: Logger(label: "aggregation-bench", factory: { _ in SwiftLogNoOpLogHandler() }))
        var cycleTimes: [Double] = []
        for _ in 0..<max(1, repeats / 2) {
            cycleTimes.append(seconds(clock.measure { aggregator.runCycle(now: now) }))
        }
        let body = aggregator.holder.snapshot.text.readableBytes
        print(
            "aggregation models=\(models) results=\(results) rollup_ms=\(String(format: "%.2f", median(rollupTimes) * 1000))"
                + " rollup_allocs=\(rollupAllocations.map(String.init) ?? "n/a")"
                + " cycle_ms=\(String(format: "%.2f", median(cycleTimes) * 1000)) metrics_bytes=\(body)")
    }
}
