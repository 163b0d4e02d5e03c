import ExporterServer
import Foundation
import OutcomeIngest
import HealthCore
import HistoryStore
import Logging
import NIOCore
import Probing
import Synchronization
import Testing

@testable import Exporter

/// The JSON API and /metrics describe the same cycle the same way, while results keep arriving between and during
/// cycles: both read the cycle's frozen report, never the live state.
@Suite struct CycleConsistencyTests {
    /// One provider's fields as /metrics states them.
    struct Exposed: Equatable {
        var status = ""
        var available = false
        var errorRate = 0.0
        var healthScore = 0.0
        var results = 0
        var modelsAvailable = 0
        var consecutiveFailures = 0
        var conditions: Set<String> = []
        /// Cumulative counts of the chat latency histogram, by upper bound.
        var buckets: [(le: Double, count: Double)] = []

        static func == (a: Exposed, b: Exposed) -> Bool {
            a.status == b.status && a.available == b.available && a.errorRate == b.errorRate
                && a.healthScore == b.healthScore && a.results == b.results && a.modelsAvailable == b.modelsAvailable
                && a.consecutiveFailures == b.consecutiveFailures && a.conditions == b.conditions
        }
    }

    struct StatusAnswer: Decodable {
        struct Cycle: Decodable { var sequence: UInt64 }
        struct Provider: Decodable {
            var name: String
            var status: String
            var available: Bool
            var error_rate: Double
            var health_score: Double
            var results_in_window: Int
            var models_available: Int
            var consecutive_failures: Int
            var conditions: [String]
            var p95_latency_seconds: Double?
        }
        var cycle: Cycle?
        var providers: [Provider]
    }

    @Test func aJSONAnswerAndMetricsOfTheSameCycleAgreeWhileResultsArrive() async throws {
        let names = ["alpha", "beta", "gamma"]
        var configuration = ExporterConfiguration(providers: names.map { provider($0) })
        configuration.global.windowSeconds = 3600  // every result stays in the window: the histogram is the window
        let store = HealthStore(configuration: configuration)
        let history = HistoryStore(path: HistoryStore.inMemoryPath)
        let aggregator = Aggregator(
            store: store, history: history, collectors: [], reloadStatus: ReloadStatus(), version: "test", revision: "r",
            logger: Logger(label: "test"))
        let api = ExporterAPI(
            store: store, holder: aggregator.holder, history: history,
            checks: OnDemandChecks(store: store, client: HTTPProbeClient(), environment: [:]),
            admin: TokenGuard(token: nil, purpose: "admin routes", tokenFlag: "--web.admin-token-file"),
            ingestGuard: TokenGuard(token: nil, purpose: "outcome ingest", tokenFlag: "--web.ingest-token-file"),
            ingest: IngestRecorder(store: store, limits: IngestLimits(), environment: [:]), reload: { .success(0) },
            version: "test")

        let start = 100_000.0
        let clock = Shared(0)
        let stop = Shared(false)
        let seen = Shared(Set<ProviderStatus>())
        let compared = try await withThrowingTaskGroup(of: Int.self) { group in
            // Probing: a random stream of results for every provider, with bursts of failures.
            for (index, name) in names.enumerated() {
                group.addTask {
                    var random = SystemRandomNumberGenerator()
                    var failingUntil = 0
                    var lastTick = -1
                    while !stop.value {
                        let tick = clock.value
                        if tick != lastTick, tick >= failingUntil, Int.random(in: 0..<20, using: &random) == 0 {
                            failingUntil = tick + 3 + 2 * index
                        }
                        lastTick = tick
                        let failing = tick < failingUntil || Double.random(in: 0..<1, using: &random) < 0.02
                        let at = start + Double(tick) + Double.random(in: 0..<1, using: &random)
                        let results = ["m1", "m2"].map { model in
                            ModelResult(
                                provider: name, model: model, success: !failing, reason: failing ? .http5xx : nil,
                                latencySeconds: Double.random(in: 0.01...3, using: &random), operation: .chat, timestamp: at)
                        }
                        store.record(
                            ProbeOutcome(
                                provider: name, results: results, providerReachable: true, reason: failing ? .http5xx : nil,
                                statusCode: failing ? 500 : 200, rateLimit: nil, requestsSent: 1, timestamp: at),
                            completedAt: at)
                        try await Task.sleep(for: .microseconds(300))
                    }
                    return 0
                }
            }
            // The aggregator: one cycle a tick.
            group.addTask {
                for tick in 1...150 {
                    clock.value = tick
                    let report = aggregator.runCycle(now: start + Double(tick) + 1)
                    seen.value.formUnion(report.rollups.map(\.status))
                    try await Task.sleep(for: .milliseconds(4))
                }
                stop.value = true
                return 0
            }
            // A client reading the JSON API, then /metrics, and comparing when both describe the same cycle.
            group.addTask {
                var compared = 0
                while !stop.value {
                    let answer = try JSONDecoder().decode(StatusAnswer.self, from: Data(String(buffer: api.statusAll().body).utf8))
                    let snapshot = aggregator.holder.snapshot
                    let metrics = String(buffer: snapshot.text)
                    guard let cycle = answer.cycle, cycle.sequence == snapshot.report?.sequence else {
                        await Task.yield()
                        continue
                    }
                    let exposed = Self.parse(metrics)
                    for provider in answer.providers {
                        let fromMetrics = try #require(exposed[provider.name])
                        let fromJSON = Exposed(
                            status: provider.status, available: provider.available, errorRate: provider.error_rate,
                            healthScore: provider.health_score, results: provider.results_in_window,
                            modelsAvailable: provider.models_available, consecutiveFailures: provider.consecutive_failures,
                            conditions: Set(provider.conditions))
                        #expect(fromJSON == fromMetrics, "cycle \(cycle.sequence), provider \(provider.name)")
                        // The window's p95 lies in the histogram bucket holding its 95th percentile.
                        if let p95 = provider.p95_latency_seconds, let total = fromMetrics.buckets.last?.count, total > 0 {
                            let index = try #require(fromMetrics.buckets.firstIndex { $0.count >= 0.95 * total })
                            let lower = index == 0 ? 0 : fromMetrics.buckets[index - 1].le
                            #expect(p95 >= lower && p95 <= fromMetrics.buckets[index].le, "p95 \(p95) of \(provider.name)")
                        }
                    }
                    compared += 1
                    await Task.yield()
                }
                return compared
            }
            return try await group.reduce(0, +)
        }
        #expect(compared >= 20, "only \(compared) answers described the cycle /metrics served")
        #expect(seen.value.contains(.healthy) && seen.value.contains(.down), "statuses seen: \(seen.value)")
    }

    /// The per-provider fields of an exposition, by provider.
    static func parse(_ text: String) -> [String: Exposed] {
        var providers: [String: Exposed] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let brace = line.firstIndex(of: "{"), let close = line.lastIndex(of: "}") else { continue }
            let name = String(line[..<brace])
            let labels = Dictionary(
                line[line.index(after: brace)..<close].split(separator: ",").compactMap { pair -> (String, String)? in
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    guard parts.count == 2 else { return nil }
                    return (String(parts[0]), String(parts[1].dropFirst().dropLast()))
                }, uniquingKeysWith: { a, _ in a })
            guard let provider = labels["provider"], labels["model"] == nil,
                let value = Double(line[line.index(after: close)...].trimmingCharacters(in: .whitespaces))
            else { continue }
            var exposed = providers[provider] ?? Exposed()
            switch name {
            case "provider_status" where value == 1: exposed.status = labels["status"] ?? ""
            case "provider_availability": exposed.available = value == 1
            case "provider_error_rate": exposed.errorRate = value
            case "provider_health_score": exposed.healthScore = value
            case "provider_window_results": exposed.results = Int(value)
            case "provider_models_available": exposed.modelsAvailable = Int(value)
            case "provider_consecutive_failures": exposed.consecutiveFailures = Int(value)
            case "provider_condition" where value == 1: exposed.conditions.insert(labels["condition"] ?? "")
            case "provider_response_time_seconds_bucket" where labels["operation"] == "chat":
                let le = labels["le"] == "+Inf" ? Double.infinity : Double(labels["le"] ?? "") ?? .nan
                exposed.buckets.append((le, value))
            default: break
            }
            providers[provider] = exposed
        }
        return providers
    }
}

/// A value several tasks read and one writes.
final class Shared<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    init(_ value: Value) { storage = Mutex(value) }
    var value: Value {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}
