import Foundation
import HealthCore
import OutcomeIngest
import Testing

@testable import Exporter

/// What `IngestRecorder.record` does with the calls a gateway reported: mapped, refused, unknown, too old.
@Suite struct GatewayRecordTests {
    let now = Date().timeIntervalSince1970

    func recorder(acceptUnknown: Bool = false) -> (IngestRecorder, HealthStore) {
        var fast = ProviderSettings(name: "fast", kind: .openai, baseURL: "http://127.0.0.1:8001/v1")
        fast.aliases = ["fast-group"]
        let broken = ProviderSettings(name: "broken", kind: .openai, baseURL: "http://127.0.0.1:8002/v1")
        let store = HealthStore(configuration: ExporterConfiguration(providers: [fast, broken]), now: now)
        var limits = IngestLimits()
        limits.acceptUnknownProviders = acceptUnknown
        return (IngestRecorder(store: store, limits: limits, environment: [:]), store)
    }

    func call(_ endpoint: String?, provider: String? = "openai", success: Bool = true, refused: Bool = false,
              status: Int? = nil, ttft: Double? = nil, age: Double = 1) -> GatewayCall {
        GatewayCall(
            route: ReportedRoute(provider: provider, endpoint: endpoint), model: "gpt-4o-mini", success: success,
            statusCode: status, reason: status.flatMap(FailureReason.forHTTPStatus), refusedByGateway: refused,
            latencySeconds: 0.5, timeToFirstTokenSeconds: ttft, timestamp: now - age, errorLabel: status.map(String.init))
    }

    func metric(_ recorder: IngestRecorder, _ name: String, _ labels: [String]) -> Double? {
        recorder.collect(nil).first { $0.name == name }?.samples.first { $0.labelValues == labels }?.value
    }

    @Test func callsLandOnTheirProvidersAndTheGatewaysOwnRefusalsAreLeftOut() throws {
        let (recorder, store) = recorder()
        let calls = [
            call("http://127.0.0.1:8001/v1", ttft: 0.2), call("http://127.0.0.1:8002/v1", success: false, status: 500),
            call(nil, provider: "fast-group", success: false, status: 429),
            call(nil, provider: "fast-group", success: false, refused: true, status: 429),
        ]
        let result = try recorder.record(calls, format: .litellm, allOrNothing: true, now: now)
        #expect(result.accepted == 3)
        #expect(result.dropped == [.gatewayRefusal: 1])
        let report = store.aggregate(now: now)
        let fast = try #require(report.provider(named: "fast"))
        let broken = try #require(report.provider(named: "broken"))
        #expect(fast.resultsTotal[.traffic] == 2)
        #expect(fast.failuresTotal[FailureKey(source: .traffic, reason: .rateLimited)] == 1)
        #expect(broken.failuresTotal[FailureKey(source: .traffic, reason: .http5xx)] == 1)
        #expect(fast.firstTokenHistograms[LatencySeries(source: .traffic, operation: .chat)]?.count == 1)
        #expect(metric(recorder, "provider_health_exporter_outcomes_received", ["litellm"]) == 3)
        #expect(metric(recorder, "provider_health_exporter_outcomes_dropped", ["litellm", "gateway_refusal"]) == 1)
    }

    @Test func anUnknownProviderRefusesTheWholeBatchOrOnlyItselfInAPartialSuccess() throws {
        let (recorder, store) = recorder()
        let calls = [call("http://127.0.0.1:8001/v1"), call("http://10.0.0.7:8000/v1"), call(nil, provider: "mistral")]
        #expect(throws: IngestRejection.unknownProvider("openai")) {
            try recorder.record(calls, format: .litellm, allOrNothing: true, now: now)
        }
        #expect(store.aggregate(now: now).provider(named: "fast")?.resultsTotal[.traffic] == nil)

        let partial = try recorder.record(calls, format: .otlp, allOrNothing: false, now: now)
        #expect(partial.accepted == 1)
        #expect(partial.dropped == [.unknownProvider: 2])
        #expect(partial.firstProblem?.contains("unknown provider") == true)
        #expect(metric(recorder, "provider_health_exporter_outcomes_dropped", ["otlp", "unknown_provider"]) == 2)
        #expect(metric(recorder, "provider_health_exporter_outcomes_received", ["otlp"]) == 1)
    }

    @Test func acceptedUnknownProvidersAreTrackedUnderTheirOwnName() throws {
        let (recorder, store) = recorder(acceptUnknown: true)
        // "fast" is configured: a call the gateway names "fast" that went elsewhere is tracked under its endpoint.
        let calls = [
            call("http://10.0.0.7:8000/v1"), call(nil, provider: "mistral"), call("http://10.0.0.8:8000/v1", provider: "fast"),
        ]
        #expect(try recorder.record(calls, format: .litellm, allOrNothing: true, now: now).accepted == 3)
        let report = store.aggregate(now: now)
        #expect(report.provider(named: "openai")?.resultsTotal[.traffic] == 1)
        #expect(report.provider(named: "mistral")?.resultsTotal[.traffic] == 1)
        #expect(report.provider(named: "10.0.0.8:8000")?.resultsTotal[.traffic] == 1)
        #expect(report.provider(named: "fast")?.resultsTotal[.traffic] == nil)
    }

    @Test func callsOlderThanAnHourAreInvalid() throws {
        let (recorder, _) = recorder()
        let calls = [call("http://127.0.0.1:8001/v1"), call("http://127.0.0.1:8001/v1", age: 7_200)]
        #expect(throws: IngestRejection.self) { try recorder.record(calls, format: .litellm, allOrNothing: true, now: now) }
        let partial = try recorder.record(calls, format: .otlp, allOrNothing: false, now: now)
        #expect(partial.accepted == 1 && partial.dropped == [.invalid: 1])
        #expect(partial.firstProblem?.contains("more than 1 h old") == true)
    }
}
