#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HealthCore
import Probing

/// `POST /api/providers/{name}/check`: answers from a recent probe when there is one, otherwise probes now.
/// Concurrent checks of one provider share a single probe.
public actor OnDemandChecks {
    public enum Answer: Sendable {
        case unknownProvider
        /// Known only from a gateway's traffic: there is nothing configured to probe it with.
        case notProbed
        case cached(ProbeOutcome)
        case fresh(ProbeOutcome)
        /// The probe budget or a provider's retry-after forbids a request until then.
        case budgetExhausted(until: Double)
        case cancelled
    }

    let store: HealthStore
    let client: HTTPProbeClient
    let environment: [String: String]
    let cacheTTL: Double
    private var inFlight: [String: Task<ProbeOutcome?, Never>] = [:]

    public init(store: HealthStore, client: HTTPProbeClient, environment: [String: String], cacheTTL: Double = 60) {
        self.store = store
        self.client = client
        self.environment = environment
        self.cacheTTL = cacheTTL
    }

    public func check(_ name: String, force: Bool) async -> Answer {
        let now = Date().timeIntervalSince1970
        guard let settings = store.settings(of: name), let state = store.probeState(of: name, at: now) else {
            return .unknownProvider
        }
        guard settings.probed else { return .notProbed }
        if !force, let last = state.lastOutcome, now - last.timestamp < cacheTTL { return .cached(last) }
        if let running = inFlight[name] {
            return await running.value.map(Answer.fresh) ?? .cancelled
        }
        // An explicit check may probe an open breaker (a human asked), but never past the budget or a retry-after.
        guard state.allowed else { return .budgetExhausted(until: state.nextAllowed) }
        let store = self.store
        let prober = makeProber(for: settings.kind, client: client)
        let environment = self.environment
        let task = Task<ProbeOutcome?, Never> {
            guard let outcome = await runProbe(settings, prober: prober, environment: environment, at: now) else { return nil }
            store.record(outcome, completedAt: Date().timeIntervalSince1970)
            return outcome
        }
        inFlight[name] = task
        let outcome = await task.value
        inFlight[name] = nil
        return outcome.map(Answer.fresh) ?? .cancelled
    }
}
