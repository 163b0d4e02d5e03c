import Exposition
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HealthCore
import HistoryStore
import Logging
import ServiceLifecycle
import Synchronization

/// Whether the last configuration load succeeded, and when one last did.
public final class ReloadStatus: Sendable {
    private let state = Mutex<(successful: Bool, lastSuccess: Double)>((true, Date().timeIntervalSince1970))
    public init() {}
    public var successful: Bool { state.withLock { $0.successful } }
    public var lastSuccess: Double { state.withLock { $0.lastSuccess } }
    public func recordSuccess(at now: Double = Date().timeIntervalSince1970) { state.withLock { $0 = (true, now) } }
    public func recordFailure() { state.withLock { $0.successful = false } }
}

/// One aggregation cycle: rolls the store up into the cycle's report, writes it to the history, renders every
/// collector's families once and publishes report and /metrics together.
public final class Aggregator: Sendable {
    public let store: HealthStore
    public let holder: SnapshotHolder
    public let history: HistoryStore?
    private let exporter: ExporterMetrics
    private let collectors: [any MetricsCollector]
    private let namespace: MetricsNamespace
    private let logger: Logger
    private let sequence = Mutex<UInt64>(0)
    private let lastPrune = Mutex<Double>(0)

    /// `collectors` are the parts beside the providers (ingest, history, process); the providers and the exporter
    /// itself are always collected.
    public init(
        store: HealthStore, history: HistoryStore? = nil, collectors: [any MetricsCollector] = [ProcessCollector()],
        namespace: MetricsNamespace = MetricsNamespace(nil), reloadStatus: ReloadStatus, version: String,
        revision: String, logger: Logger
    ) {
        self.store = store
        self.history = history
        self.exporter = ExporterMetrics(version: version, revision: revision, reloadStatus: reloadStatus)
        self.collectors = [ProviderMetrics(), exporter] + collectors + (history.map { [HistoryMetrics(history: $0)] } ?? [])
        self.namespace = namespace
        self.logger = logger
        self.holder = SnapshotHolder(initial: RenderedSnapshot(families: [], report: nil))
        holder.publish(RenderedSnapshot(families: families(of: nil), report: nil))
    }

    /// Every collector's families as of `cycle`, namespaced once.
    func families(of cycle: CycleReport?) -> [MetricFamily] {
        namespace.apply(collectors.flatMap { $0.collect(cycle) })
    }

    /// Runs one cycle at `now` and returns its report.
    @discardableResult
    public func runCycle(now: Double = Date().timeIntervalSince1970) -> CycleReport {
        let started = ContinuousClock.now
        var report = store.aggregate(now: now)
        report.sequence = sequence.withLock {
            $0 += 1
            return $0
        }
        for change in report.changes {
            logger.info(
                "provider status changed",
                metadata: [
                    "provider": "\(change.provider)", "from": "\(change.from?.rawValue ?? "none")", "to": "\(change.to.rawValue)",
                ])
        }
        if let history {
            // The cycle's own rows first, so that its uptimes include it.
            history.append(historyRows(from: report.rollups, at: report.timestamp))
            report.uptimes = history.uptimes(at: report.timestamp)
            pruneHourly(history, now: report.timestamp)
        }
        holder.publish(RenderedSnapshot(families: families(of: report), report: report))
        let elapsed = ContinuousClock.now - started
        exporter.recordCycle(seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        return report
    }

    /// Prunes the history's rolling window once an hour.
    private func pruneHourly(_ history: HistoryStore, now: Double) {
        let due = lastPrune.withLock { last in
            guard now - last >= 3600 else { return false }
            last = now
            return true
        }
        if due { history.prune(now: now) }
    }
}

/// Runs an aggregation cycle every interval until shutdown.
public struct AggregatorService: Service {
    let aggregator: Aggregator
    let interval: Duration

    public init(aggregator: Aggregator, interval: Duration) {
        self.aggregator = aggregator
        self.interval = interval
    }

    public func run() async throws {
        let worker = BackgroundThread(name: "aggregation")
        // The first cycle waits one interval, so that the first probes have answered: a provider is not
        // reported down merely because the exporter has just started.
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
            await worker.run { [aggregator] in
                _ = aggregator.runCycle()
                ProcessMemory.releaseFreePages()
            }
        }
        worker.stop()
    }
}
