import Foundation
import HealthCore
import Probing
import ProviderSimulator
import Testing

@testable import Exporter

@Suite(.serialized) struct OnDemandChecksTests {
    func withSlowProvider(maxProbesPerHour: Int = 600, _ body: (ProviderSimulatorServer, HealthStore, OnDemandChecks) async throws -> Void) async throws {
        let server = try await ProviderSimulatorServer.start(providers: [
            SimulatedProvider(name: "slow", kind: .openai, models: ["m1", "m2"], behaviour: .slow(seconds: 0.4))
        ])
        var settings = try #require(server.providerSettings(for: "slow"))
        settings.maxProbesPerHour = maxProbesPerHour
        let store = HealthStore(configuration: ExporterConfiguration(providers: [settings]))
        let checks = OnDemandChecks(store: store, client: HTTPProbeClient(), environment: [:])
        do {
            try await body(server, store, checks)
        } catch {
            try await server.shutdown()
            throw error
        }
        try await server.shutdown()
    }

    @Test func concurrentChecksShareOneProbe() async throws {
        try await withSlowProvider { server, store, checks in
            let answers = await withTaskGroup(of: OnDemandChecks.Answer.self) { group in
                for _ in 0..<5 { group.addTask { await checks.check("slow", force: true) } }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.count == 5)
            for answer in answers {
                guard case .fresh(let outcome) = answer else {
                    Issue.record("expected a fresh probe, got \(answer)")
                    continue
                }
                #expect(outcome.results.allSatisfy { $0.success })
            }
            #expect(server.requestCount(for: "slow") == 1)
            #expect(store.aggregate(now: Date().timeIntervalSince1970).provider(named: "slow")?.probeRequestsTotal == 1)
        }
    }

    @Test func answersFromAResultYoungerThanTheTTLUnlessForced() async throws {
        try await withSlowProvider { server, _, checks in
            guard case .fresh = await checks.check("slow", force: false) else {
                Issue.record("the first check must probe")
                return
            }
            guard case .cached = await checks.check("slow", force: false) else {
                Issue.record("a second check within the TTL must answer from the cache")
                return
            }
            #expect(server.requestCount(for: "slow") == 1)
            guard case .fresh = await checks.check("slow", force: true) else {
                Issue.record("force must probe")
                return
            }
            #expect(server.requestCount(for: "slow") == 2)
        }
    }

    @Test func respectsTheProbeBudgetAndUnknownNames() async throws {
        try await withSlowProvider(maxProbesPerHour: 1) { server, _, checks in
            guard case .fresh = await checks.check("slow", force: true) else {
                Issue.record("the first check must probe")
                return
            }
            guard case .budgetExhausted(let until) = await checks.check("slow", force: true) else {
                Issue.record("the budget of one probe per hour is spent")
                return
            }
            #expect(until > 0)
            #expect(server.requestCount(for: "slow") == 1)
            guard case .unknownProvider = await checks.check("nope", force: true) else {
                Issue.record("unknown provider")
                return
            }
        }
    }

    @Test func aProviderKnownOnlyFromTrafficIsNotProbed() async throws {
        try await withSlowProvider { server, store, checks in
            let result = ModelResult(
                provider: "gateway-only", model: "m", success: true, latencySeconds: 0.1, source: .traffic,
                timestamp: Date().timeIntervalSince1970)
            #expect(store.recordTraffic([result]) { (_: Set<String>, _: [String: Set<String>]) throws(Never) in } == 1)
            guard case .notProbed = await checks.check("gateway-only", force: true) else {
                Issue.record("a provider known only from traffic has nothing to probe it with")
                return
            }
            #expect(server.requestCount(for: "slow") == 0)
        }
    }
}
