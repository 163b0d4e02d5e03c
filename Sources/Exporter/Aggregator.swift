import Exposition
import Foundation
import HealthCore
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

/// Rolls the store up, renders /metrics and publishes it: one aggregation cycle.
public final class Aggregator: Sendable {
    public let store: HealthStore
    public let holder: SnapshotHolder
    public let renderer: MetricsRenderer
    public let reloadStatus: ReloadStatus
    private let build: (version: String, revision: String)
    private let logger: Logger
    private let lastDuration = Mutex<Double>(0)
    /// Families other parts add to /metrics (ingest, history); called once per cycle.
    private let extraFamilies: @Sendable () -> [MetricFamily]
    /// Runs after each cycle has published (history rows).
    private let afterCycle: @Sendable (AggregationResult) -> Void

    public init(
        store: HealthStore, renderer: MetricsRenderer, reloadStatus: ReloadStatus, version: String, revision: String,
        logger: Logger, extraFamilies: @escaping @Sendable () -> [MetricFamily] = { [] },
        afterCycle: @escaping @Sendable (AggregationResult) -> Void = { _ in }
    ) {
        self.afterCycle = afterCycle
        self.store = store
        self.renderer = renderer
        self.reloadStatus = reloadStatus
        self.build = (version, revision)
        self.logger = logger
        self.extraFamilies = extraFamilies
        self.holder = SnapshotHolder(initial: RenderedSnapshot(families: [], result: nil))
        holder.publish(RenderedSnapshot(families: renderer.selfFamilies(selfMetrics(), lastAggregation: nil), result: nil))
    }

    func selfMetrics() -> ExporterSelfMetrics {
        ExporterSelfMetrics(
            version: build.version, revision: build.revision, configReloadSuccessful: reloadStatus.successful,
            configReloadSuccessTimestamp: reloadStatus.lastSuccess, aggregationDurationSeconds: lastDuration.withLock { $0 },
            process: ProcessMetrics.read(), extraFamilies: extraFamilies())
    }

    /// Runs one cycle at `now` and returns what it rolled up.
    @discardableResult
    public func runCycle(now: Double = Date().timeIntervalSince1970) -> AggregationResult {
        let started = ContinuousClock.now
        let result = store.aggregate(now: now)
        for change in result.changes {
            logger.info(
                "provider status changed",
                metadata: [
                    "provider": "\(change.provider)", "from": "\(change.from?.rawValue ?? "none")", "to": "\(change.to.rawValue)",
                ])
        }
        let families = renderer.families(for: result, selfMetrics: selfMetrics())
        holder.publish(RenderedSnapshot(families: families, result: result))
        let elapsed = ContinuousClock.now - started
        lastDuration.withLock { $0 = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18 }
        afterCycle(result)
        return result
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
