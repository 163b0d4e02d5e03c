#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HealthCore
import Synchronization

/// The single owner of every provider's mutable state. Probes and ingest record into it; the aggregator
/// rolls it up. One lock: each operation is short, and the hot paths (record, aggregate) touch one map.
public final class HealthStore: Sendable {
    struct State {
        var configuration: ExporterConfiguration
        var trackers: [String: ProviderTracker] = [:]
        var trafficRoutes = TrafficRoutes(providers: [])
    }

    private let state: Mutex<State>

    public init(configuration: ExporterConfiguration, now: Double = Date().timeIntervalSince1970) {
        state = Mutex(State(configuration: ExporterConfiguration(global: configuration.global)))
        apply(configuration, now: now)
    }

    public var configuration: ExporterConfiguration { state.withLock { $0.configuration } }

    /// Where gateway traffic lands, by the configuration's rules.
    public var trafficRoutes: TrafficRoutes { state.withLock { $0.trafficRoutes } }

    /// Applies a (re)loaded configuration: new providers start fresh, unchanged names keep their state,
    /// removed ones are forgotten (and leave /metrics at the next cycle).
    public func apply(_ configuration: ExporterConfiguration, now: Double = Date().timeIntervalSince1970) {
        state.withLock { state in
            // Trackers survive a reload unless the window or the buckets they were built with changed.
            let compatible =
                state.configuration.global.windowSeconds == configuration.global.windowSeconds
                && state.configuration.global.latencyBuckets == configuration.global.latencyBuckets
            var next: [String: ProviderTracker] = [:]
            for settings in configuration.providers {
                if compatible, var tracker = state.trackers[settings.name] {
                    tracker.reconfigure(settings)
                    next[settings.name] = tracker
                } else {
                    next[settings.name] = ProviderTracker(settings: settings, global: configuration.global, createdAt: now)
                }
            }
            state.trackers = next
            state.configuration = configuration
            state.trafficRoutes = TrafficRoutes(providers: configuration.providers)
        }
    }

    public func settings(of provider: String) -> ProviderSettings? {
        state.withLock { $0.trackers[provider]?.settings }
    }

    /// Results recorded since start, every provider and source together.
    public var resultsRecorded: UInt64 {
        state.withLock { $0.trackers.values.reduce(0) { $0 + $1.resultsTotal.values.reduce(0, +) } }
    }

    /// The last probe of a provider and whether the budget (or a retry-after) allows another at `now`, with the
    /// earliest time it would; nil for a provider that is not configured. For on-demand checks.
    public func probeState(of provider: String, at now: Double) -> (lastOutcome: ProbeOutcome?, allowed: Bool, nextAllowed: Double)? {
        state.withLock { state in
            guard let tracker = state.trackers[provider] else { return nil }
            return (tracker.lastOutcome, tracker.budget.allows(at: now), tracker.budget.nextAllowed(at: now))
        }
    }

    /// Records a probe outcome. Outcomes for providers no longer configured are dropped.
    public func record(_ outcome: ProbeOutcome, completedAt now: Double) {
        state.withLock { state in
            state.trackers[outcome.provider]?.record(outcome, completedAt: now)
        }
    }

    /// Records results (e.g. passive outcomes from a gateway). Returns how many were accepted.
    @discardableResult
    public func record(_ results: [ModelResult]) -> Int {
        state.withLock { state in
            var accepted = 0
            for result in results where state.trackers[result.provider] != nil {
                state.trackers[result.provider]!.record(result)
                accepted += 1
            }
            return accepted
        }
    }

    func recordTrafficLocked<E: Error>(
        _ results: [ModelResult], check: (Set<String>, [String: Set<String>]) throws(E) -> Void
    ) throws(E) -> Int {
        try state.withLock { (state) throws(E) -> Int in
            let involved = Set(results.map(\.provider))
            var models: [String: Set<String>] = [:]
            for name in involved {
                if let tracker = state.trackers[name] { models[name] = Set(tracker.window.models).union(tracker.settings.modelNames) }
            }
            try check(Set(state.trackers.keys), models)
            var recorded = 0
            for result in results {
                if state.trackers[result.provider] == nil {
                    state.trackers[result.provider] = ProviderTracker(
                        settings: .knownFromTraffic(result.provider), global: state.configuration.global,
                        createdAt: result.timestamp)
                }
                state.trackers[result.provider]!.record(result)
                recorded += 1
            }
            return recorded
        }
    }

    /// When the provider's next probe is due (see `ProviderTracker.nextProbeDue`), nil when it is not configured.
    public func nextProbeDue(of provider: String, jitter: Double = 0) -> Double? {
        state.withLock { $0.trackers[provider]?.nextProbeDue(jitter: jitter) }
    }

    /// Whether a probe may be sent now (breaker not open, budget left).
    public func mayProbe(_ provider: String, at now: Double) -> Bool {
        state.withLock { state in
            guard let tracker = state.trackers[provider] else { return false }
            return tracker.breaker.allowsProbe(at: now) && tracker.budget.allows(at: now)
        }
    }

    /// Closes a provider's breaker (admin reset). Returns false for an unknown provider.
    @discardableResult
    public func resetBreaker(of provider: String) -> Bool {
        state.withLock { state in
            guard state.trackers[provider] != nil else { return false }
            state.trackers[provider]!.breaker.reset()
            return true
        }
    }

    /// Rolls every provider up at `now` into the cycle's report (its sequence and uptimes are the aggregator's).
    public func aggregate(now: Double) -> CycleReport {
        state.withLock { state in
            var providers: [ProviderReport] = []
            providers.reserveCapacity(state.trackers.count)
            var changes: [StatusChange] = []
            let score = state.configuration.global.score
            let holdCycles = state.configuration.global.statusHoldCycles
            for name in state.trackers.keys.sorted() {
                let (report, changedFrom) = state.trackers[name]!.aggregate(now: now, score: score, holdCycles: holdCycles)
                providers.append(report)
                if let from = changedFrom { changes.append(StatusChange(provider: name, from: from, to: report.rollup.status)) }
            }
            return CycleReport(
                sequence: 0, timestamp: now, configuration: state.configuration, providers: providers,
                best: chooseBestProvider(providers.map(\.rollup)), changes: changes)
        }
    }
}

extension HealthStore {
    /// Records passive results after `check` approved them against the known providers and their models,
    /// under one lock, so that a batch is all or nothing. Returns how many were recorded.
    public func recordTraffic<E: Error>(
        _ results: [ModelResult], check: (Set<String>, [String: Set<String>]) throws(E) -> Void
    ) throws(E) -> Int {
        try recordTrafficLocked(results, check: check)
    }
}
