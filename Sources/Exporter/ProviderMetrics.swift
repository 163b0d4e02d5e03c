import Exposition
import HealthCore

/// Contributes metric families to /metrics. Names are written without the namespace: `MetricsNamespace`
/// applies it once, to every collector's families.
public protocol MetricsCollector: Sendable {
    /// The families as of `cycle` (nil before the first aggregation cycle).
    func collect(_ cycle: CycleReport?) -> [MetricFamily]
}

/// `--namespace`: the prefix of every metric name but the standard `process_*` ones, applied in one place.
public struct MetricsNamespace: Sendable {
    public let prefix: String?

    public init(_ namespace: String?) {
        prefix = namespace.flatMap { $0.isEmpty ? nil : $0 + "_" }
    }

    public func apply(_ families: [MetricFamily]) -> [MetricFamily] {
        guard let prefix else { return families }
        return families.map { family in
            // process_* keep their standard names whatever the namespace, as every Prometheus client does.
            guard !family.name.hasPrefix("process_") else { return family }
            var named = family
            named.name = prefix + family.name
            return named
        }
    }
}

/// The providers and their models, from the cycle's report. Pure: the same report gives the same families.
public struct ProviderMetrics: MetricsCollector {
    static let cycleNote = " (from the last aggregation cycle)"

    public init() {}

    public func collect(_ cycle: CycleReport?) -> [MetricFamily] {
        guard let cycle else { return [] }
        let reports = cycle.providers
        let n = reports.count
        func perProvider(_ name: String, _ help: String, _ value: (ProviderReport) -> Double) -> MetricFamily {
            var samples: [MetricSample] = []
            samples.reserveCapacity(n)
            for p in reports { samples.append(MetricSample(labelValues: [p.name], value: value(p))) }
            return MetricFamily(name: name, help: help + Self.cycleNote + ".", type: .gauge, labelNames: ["provider"], samples: samples)
        }

        var families: [MetricFamily] = [
            perProvider("provider_availability", "1 when at least one of the provider's models is available (answers, even if only to refuse for quota), else 0") { $0.rollup.available ? 1 : 0 },
            perProvider("provider_error_rate", "Failed results / all results in the sliding window, 0 when there are none") { $0.rollup.errorRate },
            perProvider("provider_error_rate_threshold", "Error rate above which the provider is degraded (thresholds.error_rate)") { $0.settings.thresholds.errorRate },
            perProvider("provider_rate_limit_remaining_threshold", "Remaining rate-limit ratio under which the provider is rate_limited (thresholds.rate_limit_remaining)") { $0.settings.thresholds.rateLimitRemainingRatio },
            perProvider("provider_health_score", "Composite health score 0..1: availability, error rate and latency") { $0.rollup.healthScore },
            perProvider("provider_consecutive_failures", "Consecutive failed probes of the regular cadence, as the circuit breaker counts them") { Double($0.rollup.consecutiveFailures) },
            perProvider("provider_models_available", "Models of the provider that are available: not failed enough times in a row to be an outage, key not rejected") { Double($0.rollup.modelsAvailable) },
            perProvider("provider_models", "Models of the provider: the configured ones plus any seen only in traffic") { Double($0.rollup.modelsTotal) },
            perProvider("provider_best", "1 for the current best provider (healthy, results in the window, highest score), 0 for the others") { $0.name == cycle.best.best ? 1 : 0 },
            perProvider("provider_window_results", "Results in the sliding window: the evidence the status stands on") { Double($0.rollup.results) },
            perProvider("provider_last_result_timestamp_seconds", "Unix time of the newest result, probe or traffic, 0 before the first") { $0.rollup.lastResultTimestamp ?? 0 },
            perProvider("provider_last_probe_timestamp_seconds", "Unix time of the provider's last probe, 0 before the first") { $0.lastProbeTimestamp ?? 0 },
            perProvider("provider_next_probe_timestamp_seconds", "Unix time the next probe is due: the interval after the last, later while retry-after, the probe budget or an open breaker hold it back") { $0.nextProbeDue ?? 0 },
            perProvider("provider_probe_interval_seconds", "Configured seconds between probes") { $0.settings.probed ? $0.settings.intervalSeconds : 0 },
            perProvider("provider_retry_after_until_timestamp_seconds", "Unix time until which the provider asked not to be called (retry-after), 0 when no such wait is in force") { $0.retryAfterUntil ?? 0 },
        ]

        var status: [MetricSample] = []
        var conditions: [MetricSample] = []
        var breaker: [MetricSample] = []
        var ratios: [MetricSample] = []
        var latencyThresholds: [MetricSample] = []
        var resultsTotal: [MetricSample] = []
        var failuresTotal: [MetricSample] = []
        var probeRequests: [MetricSample] = []
        var statusChanges: [MetricSample] = []
        var latency: [HistogramSample] = []
        var modelAvailability: [MetricSample] = []
        var modelErrorRate: [MetricSample] = []
        var modelLatency: [HistogramSample] = []
        var firstToken: [HistogramSample] = []
        var modelFirstToken: [HistogramSample] = []
        let modelHistograms = cycle.configuration.global.modelHistograms
        for report in reports {
            let r = report.rollup
            for s in ProviderStatus.allCases {
                status.append(MetricSample(labelValues: [r.provider, s.rawValue], value: r.status == s ? 1 : 0))
                statusChanges.append(MetricSample(labelValues: [r.provider, s.rawValue], value: Double(report.statusChanges[s] ?? 0)))
            }
            for c in StatusCondition.allCases {
                conditions.append(MetricSample(labelValues: [r.provider, c.rawValue], value: r.conditions.contains(c) ? 1 : 0))
            }
            for s in CircuitBreaker.State.allCases {
                breaker.append(MetricSample(labelValues: [r.provider, s.rawValue], value: r.breakerState == s ? 1 : 0))
            }
            if let v = r.rateLimit?.requestsRemainingRatio { ratios.append(MetricSample(labelValues: [r.provider, "requests"], value: v)) }
            if let v = r.rateLimit?.tokensRemainingRatio { ratios.append(MetricSample(labelValues: [r.provider, "tokens"], value: v)) }
            for operation in report.settings.probeOperations {
                guard let threshold = report.settings.thresholds.p95LatencySeconds(of: operation) else { continue }
                latencyThresholds.append(MetricSample(labelValues: [r.provider, operation.rawValue], value: threshold))
            }
            for source in ResultSource.allCases {
                resultsTotal.append(MetricSample(labelValues: [r.provider, source.rawValue], value: Double(report.resultsTotal[source] ?? 0)))
                for reason in FailureReason.allCases {
                    let count = report.failuresTotal[FailureKey(source: source, reason: reason)] ?? 0
                    failuresTotal.append(MetricSample(labelValues: [r.provider, source.rawValue, reason.rawValue], value: Double(count)))
                }
            }
            probeRequests.append(MetricSample(labelValues: [r.provider], value: Double(report.probeRequestsTotal)))
            for (series, h) in report.histograms.sorted(by: { $0.key < $1.key }) {
                latency.append(HistogramSample(labelValues: [r.provider, series.source.rawValue, series.operation.rawValue], bucketCounts: h.cumulativeCounts, count: h.count, sum: h.sum))
            }
            for (series, h) in report.firstTokenHistograms.sorted(by: { $0.key < $1.key }) {
                firstToken.append(HistogramSample(labelValues: [r.provider, series.source.rawValue, series.operation.rawValue], bucketCounts: h.cumulativeCounts, count: h.count, sum: h.sum))
            }
            if modelHistograms {
                for (model, perSeries) in report.modelFirstTokenHistograms.sorted(by: { $0.key < $1.key }) {
                    for (series, h) in perSeries.sorted(by: { $0.key < $1.key }) {
                        modelFirstToken.append(HistogramSample(labelValues: [r.provider, model, series.source.rawValue, series.operation.rawValue], bucketCounts: h.cumulativeCounts, count: h.count, sum: h.sum))
                    }
                }
            }
            for m in r.models.sorted(by: { $0.name < $1.name }) {
                modelAvailability.append(MetricSample(labelValues: [r.provider, m.name], value: m.available ? 1 : 0))
                modelErrorRate.append(MetricSample(labelValues: [r.provider, m.name], value: m.errorRate))
                guard modelHistograms, let perSeries = report.modelHistograms[m.name] else { continue }
                for (series, h) in perSeries.sorted(by: { $0.key < $1.key }) {
                    modelLatency.append(HistogramSample(labelValues: [r.provider, m.name, series.source.rawValue, series.operation.rawValue], bucketCounts: h.cumulativeCounts, count: h.count, sum: h.sum))
                }
            }
        }
        let buckets = cycle.configuration.global.latencyBuckets
        families += [
            MetricFamily(name: "provider_status", help: "1 for the provider's current status, 0 for the others" + Self.cycleNote + ".", type: .gauge, labelNames: ["provider", "status"], samples: status),
            MetricFamily(name: "provider_condition", help: "1 for each condition the status rules found this cycle (before the hold of status_hold_cycles), 0 for the others" + Self.cycleNote + ".", type: .gauge, labelNames: ["provider", "condition"], samples: conditions),
            MetricFamily(name: "provider_circuit_breaker_state", help: "1 for the circuit breaker's current state, 0 for the others" + Self.cycleNote + ".", type: .gauge, labelNames: ["provider", "state"], samples: breaker),
            MetricFamily(name: "provider_rate_limit_remaining_ratio", help: "Remaining / limit of the provider's rate limit, where it sends rate-limit headers" + Self.cycleNote + ".", type: .gauge, labelNames: ["provider", "resource"], samples: ratios),
            MetricFamily(name: "provider_latency_threshold_seconds", help: "p95 latency of a probe operation above which the provider is degraded (thresholds.p95_latency, thresholds.completion_p95_latency)" + Self.cycleNote + ".", type: .gauge, labelNames: ["provider", "operation"], samples: latencyThresholds),
            MetricFamily(name: "provider_results", help: "Results recorded, by source (probe or gateway traffic)" + Self.cycleNote + ".", type: .counter, labelNames: ["provider", "source"], samples: resultsTotal),
            MetricFamily(name: "provider_result_failures", help: "Failed results by source and failure reason" + Self.cycleNote + ".", type: .counter, labelNames: ["provider", "source", "reason"], samples: failuresTotal),
            MetricFamily(name: "provider_probe_requests", help: "HTTP requests the exporter itself sent to the provider (they spend its quota)" + Self.cycleNote + ".", type: .counter, labelNames: ["provider"], samples: probeRequests),
            MetricFamily(name: "provider_status_changes", help: "Times the provider entered each status" + Self.cycleNote + ".", type: .counter, labelNames: ["provider", "status"], samples: statusChanges),
            MetricFamily(name: "provider_response_time_seconds", help: "Response time of every request (a probe's model list once per probe, each completion, each traffic result), by source and operation" + Self.cycleNote + ".", type: .histogram, labelNames: ["provider", "source", "operation"], histograms: latency, buckets: buckets),
            MetricFamily(name: "provider_time_to_first_token_seconds", help: "Time from the request to the first streamed token, for the gateway traffic that reports it, by source and operation" + Self.cycleNote + ".", type: .histogram, labelNames: ["provider", "source", "operation"], histograms: firstToken, buckets: buckets),
            MetricFamily(name: "model_availability", help: "1 when the model is available: not failed enough times in a row to be an outage, key not rejected; else 0" + Self.cycleNote + ".", type: .gauge, labelNames: ["provider", "model"], samples: modelAvailability),
            MetricFamily(name: "model_error_rate", help: "Failed results / all results of the model in the window" + Self.cycleNote + ".", type: .gauge, labelNames: ["provider", "model"], samples: modelErrorRate),
        ]
        if modelHistograms {
            families.append(MetricFamily(name: "model_response_time_seconds", help: "Response time of the model's completions and traffic, observed once each, by source and operation" + Self.cycleNote + ".", type: .histogram, labelNames: ["provider", "model", "source", "operation"], histograms: modelLatency, buckets: buckets))
            families.append(MetricFamily(name: "model_time_to_first_token_seconds", help: "Time from the request to the model's first streamed token, for the gateway traffic that reports it, by source and operation" + Self.cycleNote + ".", type: .histogram, labelNames: ["provider", "model", "source", "operation"], histograms: modelFirstToken, buckets: buckets))
        }
        return families
    }
}
