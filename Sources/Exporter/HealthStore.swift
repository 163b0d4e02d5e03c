import Foundation
import HealthCore
import Synchronization

/// A status change seen by an aggregation cycle.
public struct StatusChange: Sendable, Equatable {
    public var provider: String
    public var from: ProviderStatus?
    public var to: ProviderStatus
}

/// What one aggregation cycle produced: rollups plus a copy of the cumulative counters to render.
public struct AggregationResult: Sendable {
    public var timestamp: Double
    public var configuration: ExporterConfiguration
    /// Sorted by provider name.
    public var rollups: [ProviderRollup]
    public var trackers: [String: ProviderTracker]
    public var best: BestProviderChoice
    public var changes: [StatusChange]
}

/// The single owner of every provider's mutable state. Probes and ingest record into it; the aggregator
/// rolls it up. One lock: each operation is short, and the hot paths (record, aggregate) touch one map.
public final class HealthStore: Sendable {
    struct State {
        var configuration: ExporterConfiguration
        var trackers: [String: ProviderTracker] = [:]
    }

    private let state: Mutex<State>

    public init(configuration: ExporterConfiguration, now: Double = Date().timeIntervalSince1970) {
        state = Mutex(State(configuration: ExporterConfiguration(global: configuration.global)))
        apply(configuration, now: now)
    }

    public var configuration: ExporterConfiguration { state.withLock { $0.configuration } }

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
        }
    }

    public func settings(of provider: String) -> ProviderSettings? {
        state.withLock { $0.trackers[provider]?.settings }
    }

    public func tracker(of provider: String) -> ProviderTracker? {
        state.withLock { $0.trackers[provider] }
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
                    // Accepted unknown provider (acceptUnknownProviders): track it with defaults until the next reload.
                    state.trackers[result.provider] = ProviderTracker(
                        settings: ProviderSettings(name: result.provider, kind: .openai, baseURL: "", models: []),
                        global: state.configuration.global, createdAt: result.timestamp)
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

    /// Rolls every provider up at `now`.
    public func aggregate(now: Double) -> AggregationResult {
        state.withLock { state in
            var rollups: [ProviderRollup] = []
            rollups.reserveCapacity(state.trackers.count)
            var changes: [StatusChange] = []
            let score = state.configuration.global.score
            let holdCycles = state.configuration.global.statusHoldCycles
            for name in state.trackers.keys.sorted() {
                let (rollup, changedFrom) = state.trackers[name]!.aggregate(now: now, score: score, holdCycles: holdCycles)
                rollups.append(rollup)
                if let from = changedFrom { changes.append(StatusChange(provider: name, from: from, to: rollup.status)) }
            }
            return AggregationResult(
                timestamp: now, configuration: state.configuration, rollups: rollups, trackers: state.trackers,
                best: chooseBestProvider(rollups), changes: changes)
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
