import ExporterConfig
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HealthCore
import Logging
import Probing
import ServiceLifecycle

/// Bounds how many probe requests are in flight at once, across all providers.
actor ConcurrencyLimiter {
    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { available = max(1, limit) }

    func acquire() async {
        if available > 0 {
            available -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            available += 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}

/// Probes every configured provider on its own interval (with jitter), concurrently, within the
/// concurrency bound, the probe budget and the circuit breaker. Restarts its loops on reload.
public final class ProbeScheduler: Service, Sendable {
    let store: HealthStore
    let client: HTTPProbeClient
    let environment: [String: String]
    let logger: Logger
    private let reloads: AsyncStream<Void>
    private let reloadContinuation: AsyncStream<Void>.Continuation

    public init(store: HealthStore, client: HTTPProbeClient, environment: [String: String], logger: Logger) {
        self.store = store
        self.client = client
        self.environment = environment
        self.logger = logger
        (reloads, reloadContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Tells the scheduler the store's configuration changed.
    public func configurationChanged() { reloadContinuation.yield() }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var iterator = self.reloads.makeAsyncIterator()
            while !Task.isCancelled {
                let configuration = self.store.configuration
                let loops = Task { await self.runLoops(configuration) }
                // Wait for a reload (or cancellation at shutdown), then restart the loops on the new config.
                let next: Void? = await withTaskCancellationHandler {
                    await iterator.next()
                } onCancel: {
                    loops.cancel()
                }
                loops.cancel()
                await loops.value
                if next == nil { return }
            }
        }
    }

    func runLoops(_ configuration: ExporterConfiguration) async {
        let limiter = ConcurrencyLimiter(limit: configuration.global.probeConcurrency)
        await withTaskGroup(of: Void.self) { group in
            for provider in configuration.providers {
                group.addTask { await self.loop(provider, limiter: limiter) }
            }
        }
    }

    /// One provider's probe loop: wait until due (interval + jitter, confirmation, breaker, budget, retry-after),
    /// probe, record.
    func loop(_ provider: ProviderSettings, limiter: ConcurrencyLimiter) async {
        let prober = makeProber(for: provider.kind, client: client)
        // The tracker knows the cadence, so a reload resumes it; a new provider starts within its jitter.
        var jitter = Double.random(in: 0...max(0, min(provider.jitterSeconds, provider.intervalSeconds)))
        while !Task.isCancelled {
            guard let due = store.nextProbeDue(of: provider.name, jitter: jitter) else { return }
            let wait = due - Date().timeIntervalSince1970
            if wait > 0 {
                do { try await Task.sleep(for: .milliseconds(Int64((wait * 1000).rounded(.up)))) } catch { return }
                continue
            }
            let started = Date().timeIntervalSince1970
            guard store.mayProbe(provider.name, at: started) else {
                do { try await Task.sleep(for: .seconds(1)) } catch { return }
                continue
            }
            await limiter.acquire()
            let outcome = await runProbe(provider, prober: prober, environment: environment, at: started)
            await limiter.release()
            guard let outcome else { return }
            store.record(outcome, completedAt: Date().timeIntervalSince1970)
            jitter = Double.random(in: 0...max(0, provider.jitterSeconds))
        }
    }
}

/// One probe, or nil when cancelled (shutdown or reload): a cancelled probe is not a failure.
func runProbe(
    _ provider: ProviderSettings, prober: any Prober, environment: [String: String], at started: Double
) async -> ProbeOutcome? {
    let key: Secret?
    do {
        key = try resolveAPIKey(provider.apiKey, environment: environment)
    } catch {
        // No request is sent: the provider is reported unauthorized, which says "fix the key".
        let message = error.errors.first?.message ?? "API key unavailable"
        return ProbeOutcome(
            provider: provider.name,
            results: provider.modelNames.map {
                ModelResult(
                    provider: provider.name, model: $0, success: false, reason: .auth, latencySeconds: 0,
                    timestamp: started, error: message)
            },
            providerReachable: true, reason: .auth, requestsSent: 0, timestamp: started, error: message)
    }
    do {
        return try await prober.probe(provider, apiKey: key)
    } catch {
        return nil
    }
}
