import Exposition
import HealthCore

/// Facts about the exporter itself that go into /metrics next to the providers.
public struct ExporterSelfMetrics: Sendable {
    public var version: String
    public var revision: String
    public var configReloadSuccessful: Bool
    public var configReloadSuccessTimestamp: Double
    /// Duration of the previous aggregation cycle (this one is still being measured while it renders).
    public var aggregationDurationSeconds: Double
    public var process: ProcessMetrics
    /// Extra families other parts contribute (ingest, history), already complete.
    public var extraFamilies: [MetricFamily]

    public init(
        version: String, revision: String, configReloadSuccessful: Bool, configReloadSuccessTimestamp: Double,
        aggregationDurationSeconds: Double, process: ProcessMetrics, extraFamilies: [MetricFamily] = []
    ) {
        self.version = version
        self.revision = revision
        self.configReloadSuccessful = configReloadSuccessful
        self.configReloadSuccessTimestamp = configReloadSuccessTimestamp
        self.aggregationDurationSeconds = aggregationDurationSeconds
        self.process = process
        self.extraFamilies = extraFamilies
    }
}

/// Turns an aggregation result into metric families. Pure: the same input gives the same families.
public struct MetricsRenderer: Sendable {
    public var namespace: String?
    static let cycleNote = " (from the last aggregation cycle)"

    public init(namespace: String? = nil) {
        self.namespace = namespace.flatMap { $0.isEmpty ? nil : $0 }
    }

    func name(_ base: String) -> String { namespace.map { "\($0)_\(base)" } ?? base }

    /// The exporter's own families only: what /metrics serves before the first cycle.
    public func selfFamilies(_ me: ExporterSelfMetrics, lastAggregation: Double?) -> [MetricFamily] {
        var families: [MetricFamily] = [
            MetricFamily(
                name: name("provider_health_exporter_build_info"),
                help: "A metric with a constant 1 labelled by the exporter's version and revision.", type: .gauge,
                labelNames: ["version", "revision"],
                samples: [MetricSample(labelValues: [me.version, me.revision], value: 1)]),
            gauge("provider_health_exporter_config_last_reload_successful", "Whether the last configuration reload succeeded (1) or failed (0).", me.configReloadSuccessful ? 1 : 0),
            gauge("provider_health_exporter_config_last_reload_success_timestamp_seconds", "Unix time of the last successful configuration load.", me.configReloadSuccessTimestamp),
            gauge("provider_health_exporter_aggregation_duration_seconds", "Duration of the previous aggregation cycle (roll-up and rendering).", me.aggregationDurationSeconds),
            gauge("provider_health_exporter_last_aggregation_timestamp_seconds", "Unix time of the last aggregation cycle, 0 before the first.", lastAggregation ?? 0),
        ]
        let p = me.process
        // process_* keep their standard names whatever the namespace, as every Prometheus client does.
        let processValues: [(String, String, MetricType, Double?)] = [
            ("process_cpu", "Total user and system CPU time spent in seconds.", .counter, p.cpuSeconds),
            ("process_resident_memory_bytes", "Resident memory size in bytes.", .gauge, p.residentMemoryBytes),
            ("process_virtual_memory_bytes", "Virtual memory size in bytes.", .gauge, p.virtualMemoryBytes),
            ("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", .gauge, p.startTimeSeconds),
            ("process_open_fds", "Number of open file descriptors.", .gauge, p.openFDs),
            ("process_max_fds", "Maximum number of open file descriptors.", .gauge, p.maxFDs),
        ]
        for (familyName, help, type, value) in processValues {
            guard let value else { continue }
            let fullName = familyName == "process_cpu" ? "process_cpu_seconds" : familyName
            families.append(MetricFamily(name: fullName, help: help, type: type, labelNames: [], samples: [MetricSample(labelValues: [], value: value)]))
        }
        return families + me.extraFamilies
    }

    private func gauge(_ base: String, _ help: String, _ value: Double) -> MetricFamily {
        MetricFamily(name: name(base), help: help, type: .gauge, labelNames: [], samples: [MetricSample(labelValues: [], value: value)])
    }

    /// Every family: providers, models, and the exporter itself.
    public func families(for result: AggregationResult, selfMetrics: ExporterSelfMetrics) -> [MetricFamily] {
        let rollups = result.rollups
        let n = rollups.count
        func perProvider(_ base: String, _ help: String, _ value: (ProviderRollup) -> Double) -> MetricFamily {
            var samples: [MetricSample] = []
            samples.reserveCapacity(n)
            for r in rollups { samples.append(MetricSample(labelValues: [r.provider], value: value(r))) }
            return MetricFamily(name: name(base), help: help + Self.cycleNote + ".", type: .gauge, labelNames: ["provider"], samples: samples)
        }

        var families: [MetricFamily] = [
            perProvider("provider_availability", "1 when at least one of the provider's models is available, else 0") { $0.available ? 1 : 0 },
            perProvider("provider_error_rate", "Failed results / all results in the sliding window, 0 when there are none") { $0.errorRate },
            perProvider("provider_health_score", "Composite health score 0..1: availability, error rate and latency") { $0.healthScore },
            perProvider("provider_consecutive_failures", "Consecutive failed probes, as the circuit breaker counts them") { Double($0.consecutiveFailures) },
            perProvider("provider_models_available", "Models of the provider that are available: the latest result succeeded, or fewer 5xx/429 in a row than open the breaker followed a success") { Double($0.modelsAvailable) },
            perProvider("provider_models", "Models of the provider: the configured ones plus any seen only in traffic") { Double($0.modelsTotal) },
            perProvider("provider_best", "1 for the current best provider (healthy, highest score), 0 for the others") {
                $0.provider == result.best.best ? 1 : 0
            },
            perProvider("provider_last_probe_timestamp_seconds", "Unix time of the provider's last probe, 0 before the first") {
                result.trackers[$0.provider]?.lastProbeTimestamp ?? 0
            },
        ]

        var status: [MetricSample] = []
        var breaker: [MetricSample] = []
        var ratios: [MetricSample] = []
        var resultsTotal: [MetricSample] = []
        var failuresTotal: [MetricSample] = []
        var probeRequests: [MetricSample] = []
        var statusChanges: [MetricSample] = []
        var latency: [HistogramSample] = []
        var modelAvailability: [MetricSample] = []
        var modelErrorRate: [MetricSample] = []
        var modelLatency: [HistogramSample] = []
        let modelHistograms = result.configuration.global.modelHistograms
        for r in rollups {
            let tracker = result.trackers[r.provider]
            for s in ProviderStatus.allCases {
                status.append(MetricSample(labelValues: [r.provider, s.rawValue], value: r.status == s ? 1 : 0))
                statusChanges.append(MetricSample(labelValues: [r.provider, s.rawValue], value: Double(tracker?.statusChanges[s] ?? 0)))
            }
            for s in CircuitBreaker.State.allCases {
                breaker.append(MetricSample(labelValues: [r.provider, s.rawValue], value: r.breakerState == s ? 1 : 0))
            }
            if let v = r.rateLimit?.requestsRemainingRatio { ratios.append(MetricSample(labelValues: [r.provider, "requests"], value: v)) }
            if let v = r.rateLimit?.tokensRemainingRatio { ratios.append(MetricSample(labelValues: [r.provider, "tokens"], value: v)) }
            for source in ResultSource.allCases {
                resultsTotal.append(MetricSample(labelValues: [r.provider, source.rawValue], value: Double(tracker?.resultsTotal[source] ?? 0)))
                for reason in FailureReason.allCases {
                    let count = tracker?.failuresTotal[ProviderTracker.FailureKey(source: source, reason: reason)] ?? 0
                    failuresTotal.append(MetricSample(labelValues: [r.provider, source.rawValue, reason.rawValue], value: Double(count)))
                }
            }
            probeRequests.append(MetricSample(labelValues: [r.provider], value: Double(tracker?.probeRequestsTotal ?? 0)))
            if let h = tracker?.histogram {
                latency.append(HistogramSample(labelValues: [r.provider], bucketCounts: h.cumulativeCounts, count: h.count, sum: h.sum))
            }
            for m in r.models.sorted(by: { $0.name < $1.name }) {
                modelAvailability.append(MetricSample(labelValues: [r.provider, m.name], value: m.available ? 1 : 0))
                modelErrorRate.append(MetricSample(labelValues: [r.provider, m.name], value: m.errorRate))
                if modelHistograms {
                    let h = tracker?.modelHistograms[m.name] ?? LatencyHistogram(bounds: result.configuration.global.latencyBuckets)
                    modelLatency.append(HistogramSample(labelValues: [r.provider, m.name], bucketCounts: h.cumulativeCounts, count: h.count, sum: h.sum))
                }
            }
        }
        let buckets = result.configuration.global.latencyBuckets
        families += [
            MetricFamily(name: name("provider_status"), help: "1 for the provider's current status, 0 for the others" + Self.cycleNote + ".", type: .gauge, labelNames: ["provider", "status"], samples: status),
            MetricFamily(name: name("provider_circuit_breaker_state"), help: "1 for the circuit breaker's current state, 0 for the others" + Self.cycleNote + ".", type: .gauge, labelNames: ["provider", "state"], samples: breaker),
            MetricFamily(name: name("provider_rate_limit_remaining_ratio"), help: "Remaining / limit of the provider's rate limit, where it sends rate-limit headers" + Self.cycleNote + ".", type: .gauge, labelNames: ["provider", "resource"], samples: ratios),
            MetricFamily(name: name("provider_results"), help: "Results recorded, by source (probe or gateway traffic)" + Self.cycleNote + ".", type: .counter, labelNames: ["provider", "source"], samples: resultsTotal),
            MetricFamily(name: name("provider_result_failures"), help: "Failed results by source and failure reason" + Self.cycleNote + ".", type: .counter, labelNames: ["provider", "source", "reason"], samples: failuresTotal),
            MetricFamily(name: name("provider_probe_requests"), help: "HTTP requests the exporter itself sent to the provider (they spend its quota)" + Self.cycleNote + ".", type: .counter, labelNames: ["provider"], samples: probeRequests),
            MetricFamily(name: name("provider_status_changes"), help: "Times the provider entered each status" + Self.cycleNote + ".", type: .counter, labelNames: ["provider", "status"], samples: statusChanges),
            MetricFamily(name: name("provider_response_time_seconds"), help: "Response time of every result, observed once each" + Self.cycleNote + ".", type: .histogram, labelNames: ["provider"], histograms: latency, buckets: buckets),
            MetricFamily(name: name("model_availability"), help: "1 when the model is available: its latest result in the window succeeded, or fewer 5xx/429 in a row than open the breaker followed a success; else 0" + Self.cycleNote + ".", type: .gauge, labelNames: ["provider", "model"], samples: modelAvailability),
            MetricFamily(name: name("model_error_rate"), help: "Failed results / all results of the model in the window" + Self.cycleNote + ".", type: .gauge, labelNames: ["provider", "model"], samples: modelErrorRate),
        ]
        if modelHistograms {
            families.append(MetricFamily(name: name("model_response_time_seconds"), help: "Response time of every result of the model, observed once each" + Self.cycleNote + ".", type: .histogram, labelNames: ["provider", "model"], histograms: modelLatency, buckets: buckets))
        }
        return families + selfFamilies(selfMetrics, lastAggregation: result.timestamp)
    }
}
