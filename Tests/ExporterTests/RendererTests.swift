import Exposition
import NIOCore
import HealthCore
import Logging
import Testing

@testable import Exporter

func provider(_ name: String, models: [String] = ["m1", "m2"], completion: Bool = false) -> ProviderSettings {
    ProviderSettings(
        name: name, kind: .openai, baseURL: "http://127.0.0.1:1/v1", models: models.map { ModelSettings(name: $0) },
        completionProbe: completion)
}

func outcome(
    _ provider: String, models: [String], success: Bool, at time: Double, latency: Double = 0.2,
    reason: FailureReason = .http5xx, rateLimit: RateLimitSnapshot? = nil
) -> ProbeOutcome {
    ProbeOutcome(
        provider: provider,
        results: models.map {
            ModelResult(provider: provider, model: $0, success: success, reason: success ? nil : reason, latencySeconds: latency, timestamp: time)
        },
        providerReachable: success || reason.providerAnswered, reason: success ? nil : reason,
        statusCode: success ? 200 : 500, rateLimit: rateLimit, requestsSent: 1, checkLatencySeconds: latency,
        timestamp: time)
}

/// One aggregation cycle at `now`, rendered by every collector as /metrics would serve it.
func render(_ store: HealthStore, at now: Double, namespace: String? = nil) -> String {
    let aggregator = Aggregator(
        store: store, collectors: [], namespace: MetricsNamespace(namespace), reloadStatus: ReloadStatus(),
        version: "test", revision: "r", logger: Logger(label: "test"))
    let report = aggregator.runCycle(now: now)
    #expect(validateFamilies(aggregator.families(of: report)).isEmpty, "collectors produced families the encoder rejects")
    return String(buffer: aggregator.holder.snapshot.text)
}

@Suite struct RendererTests {
    @Test func providerRemovedFromConfigurationLeavesMetrics() {
        let store = HealthStore(configuration: ExporterConfiguration(providers: [provider("keep"), provider("gone")]))
        store.record(outcome("keep", models: ["m1", "m2"], success: true, at: 1000), completedAt: 1000)
        store.record(outcome("gone", models: ["m1", "m2"], success: true, at: 1000), completedAt: 1000)
        let before = render(store, at: 1001)
        #expect(before.contains("provider=\"gone\""))

        store.apply(ExporterConfiguration(providers: [provider("keep", models: ["m1"])]))
        let after = render(store, at: 1002)
        #expect(!after.contains("provider=\"gone\""))
        #expect(after.contains("provider_results_total{provider=\"keep\",source=\"probe\"} 2"))
        #expect(after.contains("model_availability{provider=\"keep\",model=\"m1\"} 1"))
        #expect(!after.contains("model=\"m2\""))
    }

    @Test func knownSeriesAreExportedAsZero() {
        let store = HealthStore(
            configuration: ExporterConfiguration(providers: [provider("fresh"), provider("chatty", completion: true)]),
            now: 900)
        let text = render(store, at: 1000)
        #expect(text.contains("provider_result_failures_total{provider=\"fresh\",source=\"traffic\",reason=\"tls\"} 0"))
        // Nothing known yet: healthy, never down for lack of results, and saying so.
        #expect(text.contains("provider_status{provider=\"fresh\",status=\"healthy\"} 1"))
        #expect(text.contains("provider_status{provider=\"fresh\",status=\"down\"} 0"))
        #expect(text.contains("provider_condition{provider=\"fresh\",condition=\"no_results\"} 1"))
        #expect(text.contains("provider_condition{provider=\"fresh\",condition=\"outage\"} 0"))
        #expect(text.contains("provider_best{provider=\"fresh\"} 0"))
        #expect(text.contains("provider_circuit_breaker_state{provider=\"fresh\",state=\"closed\"} 1"))
        #expect(text.contains("provider_response_time_seconds_count{provider=\"fresh\",source=\"probe\",operation=\"list_models\"} 0"))
        #expect(!text.contains("operation=\"chat\"} 0\nprovider_response_time_seconds_count{provider=\"fresh\""))
        #expect(!text.contains("model_response_time_seconds_count{provider=\"fresh\""), "the model list latency is the provider's")
        #expect(text.contains("model_response_time_seconds_count{provider=\"chatty\",model=\"m1\",source=\"probe\",operation=\"chat\"} 0"))
        #expect(text.contains("provider_latency_threshold_seconds{provider=\"chatty\",operation=\"chat\"} 10"))
        #expect(text.contains("provider_latency_threshold_seconds{provider=\"fresh\",operation=\"list_models\"} 1"))
        #expect(!text.contains("provider_latency_threshold_seconds{provider=\"fresh\",operation=\"chat\"}"))
        #expect(text.contains("provider_error_rate_threshold{provider=\"fresh\"} 0.05"))
        #expect(text.contains("provider_rate_limit_remaining_threshold{provider=\"fresh\"} 0.1"))
        #expect(text.contains("provider_probe_interval_seconds{provider=\"fresh\"} 60"))
        #expect(text.contains("provider_next_probe_timestamp_seconds{provider=\"fresh\"} 900"))
        #expect(text.contains("provider_last_probe_timestamp_seconds{provider=\"fresh\"} 0"))
        #expect(text.contains("provider_last_result_timestamp_seconds{provider=\"fresh\"} 0"))
        #expect(text.contains("provider_window_results{provider=\"fresh\"} 0"))
        #expect(text.contains("provider_retry_after_until_timestamp_seconds{provider=\"fresh\"} 0"))
        #expect(!text.contains("provider_rate_limit_remaining_ratio{"), "no ratio without rate-limit headers")
    }

    /// One probe of a model list covering two models is one request: observed once.
    @Test func histogramObservesEveryRequestOnce() {
        let store = HealthStore(configuration: ExporterConfiguration(providers: [provider("p")]))
        store.record(outcome("p", models: ["m1", "m2"], success: true, at: 1000, latency: 0.07), completedAt: 1000)
        _ = render(store, at: 1001)
        let text = render(store, at: 1002)  // a second cycle must not observe the same results again
        let series = "provider=\"p\",source=\"probe\",operation=\"list_models\""
        #expect(text.contains("provider_response_time_seconds_count{\(series)} 1"))
        #expect(text.contains("provider_response_time_seconds_bucket{\(series),le=\"0.04\"} 0"))
        #expect(text.contains("provider_response_time_seconds_bucket{\(series),le=\"0.08\"} 1"))
        #expect(text.contains("provider_response_time_seconds_bucket{\(series),le=\"81.92\"} 1"))
        #expect(text.contains("provider_response_time_seconds_bucket{\(series),le=\"+Inf\"} 1"))
        #expect(text.contains("provider_results_total{provider=\"p\",source=\"probe\"} 2"))
        #expect(text.contains("provider_window_results{provider=\"p\"} 2"))
        #expect(text.contains("provider_last_result_timestamp_seconds{provider=\"p\"} 1000"))
        #expect(text.contains("provider_next_probe_timestamp_seconds{provider=\"p\"} 1060"))
    }

    @Test func aQuotaWaitIsExportedAsItsDeadlineAndTheCondition() {
        let store = HealthStore(configuration: ExporterConfiguration(providers: [provider("q")]))
        store.record(
            outcome("q", models: ["m1", "m2"], success: false, at: 1000, reason: .rateLimited,
                    rateLimit: RateLimitSnapshot(retryAfterSeconds: 900)),
            completedAt: 1000)
        let text = render(store, at: 1001)
        #expect(text.contains("provider_retry_after_until_timestamp_seconds{provider=\"q\"} 1900"))
        #expect(text.contains("provider_condition{provider=\"q\",condition=\"retry_after\"} 1"))
        #expect(text.contains("provider_status{provider=\"q\",status=\"rate_limited\"} 1"))
        #expect(text.contains("provider_next_probe_timestamp_seconds{provider=\"q\"} 1900"))
        #expect(text.contains("provider_availability{provider=\"q\"} 1"), "a provider that refuses for quota answers")
    }

    @Test func rendersTheSameBytesForTheSameState() {
        let store = HealthStore(configuration: ExporterConfiguration(providers: [provider("b"), provider("a"), provider("c")]))
        for name in ["c", "a", "b"] { store.record(outcome(name, models: ["m2", "m1"], success: true, at: 1000), completedAt: 1000) }
        let first = render(store, at: 1001)
        let second = render(store, at: 1001)
        // Everything but what each aggregator measures of itself: its start and how long the cycle took.
        func stable(_ text: String) -> [Substring] {
            text.split(separator: "\n").filter { !$0.contains("aggregation_duration_seconds ") && !$0.contains("reload_success_timestamp_seconds ") }
        }
        #expect(stable(first) == stable(second))
        let providers = first.split(separator: "\n").filter { $0.hasPrefix("provider_health_score{") }
        #expect(providers.map { String($0.prefix(31)) } == ["provider_health_score{provider=", "provider_health_score{provider=", "provider_health_score{provider="])
        #expect(providers.map { $0.contains("\"a\"") } == [true, false, false])
    }

    @Test func namespacePrefixesEveryFamilyButProcess() {
        let store = HealthStore(configuration: ExporterConfiguration(providers: [provider("p")]))
        let text = render(store, at: 1000, namespace: "llm")
        let names = Set(text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] })
        #expect(names.contains("llm_provider_availability"))
        #expect(names.contains("llm_provider_health_exporter_build_info"))
        #expect(names.allSatisfy { $0.hasPrefix("llm_") || $0.hasPrefix("process_") })
    }

    @Test func bestProviderAndStatusFollowTheResults() {
        let store = HealthStore(configuration: ExporterConfiguration(providers: [provider("good"), provider("bad")]))
        store.record(outcome("good", models: ["m1", "m2"], success: true, at: 1000), completedAt: 1000)
        // A fresh provider needs 7 failures in a row for an outage: one failure is no verdict.
        for i in 0..<7 {
            store.record(outcome("bad", models: ["m1", "m2"], success: false, at: 1000 + Double(i)), completedAt: 1000 + Double(i))
        }
        let text = render(store, at: 1007)
        #expect(text.contains("provider_best{provider=\"good\"} 1"))
        #expect(text.contains("provider_best{provider=\"bad\"} 0"))
        #expect(text.contains("provider_status{provider=\"bad\",status=\"down\"} 1"))
        #expect(text.contains("provider_error_rate{provider=\"bad\"} 1"))
    }
}
