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
        let now = result.timestamp
        func perProvider(_ base: String, _ help: String, _ value: (ProviderRollup) -> Double) -> MetricFamily {
            var samples: [MetricSample] = []
            samples.reserveCapacity(n)
            for r in rollups { samples.append(MetricSample(labelValues: [r.provider], value: value(r))) }
            return MetricFamily(name: name(base), help: help + Self.cycleNote + ".", type: .gauge, labelNames: ["provider"], samples: samples)
        }
        func tracker(_ r: ProviderRollup) -> ProviderTracker? { result.trackers[r.provider] }

        var families: [MetricFamily] = [
            perProvider("provider_availability", "1 when at least one of the provider's models is available (answers, even if only to refuse for quota), else 0") { $0.available ? 1 : 0 },
            perProvider("provider_error_rate", "Failed results / all results in the sliding window, 0 when there are none") { $0.errorRate },
            perProvider("provider_error_rate_threshold", "Error rate above which the provider is degraded (thresholds.error_rate)") {
                tracker($0)?.settings.thresholds.errorRate ?? 0
            },
            perProvider("provider_rate_limit_remaining_threshold", "Remaining rate-limit ratio under which the provider is rate_limited (thresholds.rate_limit_remaining)") {
                tracker($0)?.settings.thresholds.rateLimitRemainingRatio ?? 0
            },
            perProvider("provider_health_score", "Composite health score 0..1: availability, error rate and latency") { $0.healthScore },
            perProvider("provider_consecutive_failures", "Consecutive failed probes of the regular cadence, as the circuit breaker counts them") { Double($0.consecutiveFailures) },
            perProvider("provider_models_available", "Models of the provider that are available: not failed enough times in a row to be an outage, key not rejected") { Double($0.modelsAvailable) },
            perProvider("provider_models", "Models of the provider: the configured ones plus any seen only in traffic") { Double($0.modelsTotal) },
            perProvider("provider_best", "1 for the current best provider (healthy, results in the window, highest score), 0 for the others") {
                $0.provider == result.best.best ? 1 : 0
            },
            perProvider("provider_window_results", "Results in the sliding window: the evidence the status stands on") { Double($0.results) },
            perProvider("provider_last_result_timestamp_seconds", "Unix time of the newest result, probe or traffic, 0 before the first") { $0.lastResultTimestamp ?? 0 },
            perProvider("provider_last_probe_timestamp_seconds", "Unix time of the provider's last probe, 0 before the first") {
                tracker($0)?.lastProbeTimestamp ?? 0
            },
            perProvider("provider_next_probe_timestamp_seconds", "Unix time the next probe is due: the interval after the last, later while retry-after, the probe budget or an open breaker hold it back") {
                tracker($0)?.nextProbeDue() ?? 0
            },
            perProvider("provider_probe_interval_seconds", "Configured seconds between probes") { tracker($0)?.settings.intervalSeconds ?? 0 },
            perProvider("provider_retry_after_until_timestamp_seconds", "Unix time until which the provider asked not to be called (retry-after), 0 when no such wait is in force") {
                guard let until = tracker($0)?.budget.notBefore, until > now else { return 0 }
                return until
            },
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
        let modelHistograms = result.configuration.global.modelHistograms
        for r in rollups {
            let tracker = tracker(r)
            for s in ProviderStatus.allCases {
                status.append(MetricSample(labelValues: [r.provider, s.rawValue], value: r.status == s ? 1 : 0))
                statusChanges.append(MetricSample(labelValues: [r.provider, s.rawValue], value: Double(tracker?.statusChanges[s] ?? 0)))
            }
            for c in StatusCondition.allCases {
                conditions.append(MetricSample(labelValues: [r.provider, c.rawValue], value: r.conditions.contains(c) ? 1 : 0))
            }
            for s in CircuitBreaker.State.allCases {
                breaker.append(MetricSample(labelValues: [r.provider, s.rawValue], value: r.breakerState == s ? 1 : 0))
            }
            if let v = r.rateLimit?.requestsRemainingRatio { ratios.append(MetricSample(labelValues: [r.provider, "requests"], value: v)) }
            if let v = r.rateLimit?.tokensRemainingRatio { ratios.append(MetricSample(labelValues: [r.provider, "tokens"], value: v)) }
            if let settings = tracker?.settings {
                for operation in settings.probeOperations {
                    guard let threshold = settings.thresholds.p95LatencySeconds(of: operation) else { continue }
                    latencyThresholds.append(MetricSample(labelValues: [r.provider, operation.rawValue], value: threshold))
                }
            }
            for source in ResultSource.allCases {
                resultsTotal.append(MetricSample(labelValues: [r.provider, source.rawValue], value: Double(tracker?.resultsTotal[source] ?? 0)))
                for reason in FailureReason.allCases {
                    let count = tracker?.failuresTotal[ProviderTracker.FailureKey(source: source, reason: reason)] ?? 0
                    failuresTotal.append(MetricSample(labelValues: [r.provider, source.rawValue, reason.rawValue], value: Double(count)))
                }
            }
            probeRequests.append(MetricSample(labelValues: [r.provider], value: Double(tracker?.probeRequestsTotal ?? 0)))
            for (series, h) in (tracker?.histograms ?? [:]).sorted(by: { $0.key < $1.key }) {
                latency.append(HistogramSample(labelValues: [r.provider, series.source.rawValue, series.operation.rawValue], bucketCounts: h.cumulativeCounts, count: h.count, sum: h.sum))
            }
            for m in r.models.sorted(by: { $0.name < $1.name }) {
                modelAvailability.append(MetricSample(labelValues: [r.provider, m.name], value: m.available ? 1 : 0))
                modelErrorRate.append(MetricSample(labelValues: [r.provider, m.name], value: m.errorRate))
                guard modelHistograms, let perSeries = tracker?.modelHistograms[m.name] else { continue }
                for (series, h) in perSeries.sorted(by: { $0.key < $1.key }) {
                    modelLatency.append(HistogramSample(labelValues: [r.provider, m.name, series.source.rawValue, series.operation.rawValue], bucketCounts: h.cumulativeCounts, count: h.count, sum: h.sum))
                }
            }
        }
        let buckets = result.configuration.global.latencyBuckets
        families += [
            MetricFamily(name: name("provider_status"), help: "1 for the provider's current status, 0 for the others" + Self.cycleNote + ".", type: .gauge, labelNames: ["provider", "status"], samples: status),
            MetricFamily(name: name("provider_condition"), help: "1 for each condition the status rules found this cycle (before the hold of status_hold_cycles), 0 for the others" + Self.cycleNote + ".", type: .gauge, labelNames: ["provider", "condition"], samples: conditions),
            MetricFamily(name: name("provider_circuit_breaker_state"), help: "1 for the circuit breaker's current state, 0 for the others" + Self.cycleNote + ".", type: .gauge, labelNames: ["provider", "state"], samples: breaker),
            MetricFamily(name: name("provider_rate_limit_remaining_ratio"), help: "Remaining / limit of the provider's rate limit, where it sends rate-limit headers" + Self.cycleNote + ".", type: .gauge, labelNames: ["provider", "resource"], samples: ratios),
            MetricFamily(name: name("provider_latency_threshold_seconds"), help: "p95 latency of a probe operation above which the provider is degraded (thresholds.p95_latency, thresholds.completion_p95_latency)" + Self.cycleNote + ".", type: .gauge, labelNames: ["provider", "operation"], samples: latencyThresholds),
            MetricFamily(name: name("provider_results"), help: "Results recorded, by source (probe or gateway traffic)" + Self.cycleNote + ".", type: .counter, labelNames: ["provider", "source"], samples: resultsTotal),
            MetricFamily(name: name("provider_result_failures"), help: "Failed results by source and failure reason" + Self.cycleNote + ".", type: .counter, labelNames: ["provider", "source", "reason"], samples: failuresTotal),
            MetricFamily(name: name("provider_probe_requests"), help: "HTTP requests the exporter itself sent to the provider (they spend its quota)" + Self.cycleNote + ".", type: .counter, labelNames: ["provider"], samples: probeRequests),
            MetricFamily(name: name("provider_status_changes"), help: "Times the provider entered each status" + Self.cycleNote + ".", type: .counter, labelNames: ["provider", "status"], samples: statusChanges),
            MetricFamily(name: name("provider_response_time_seconds"), help: "Response time of every request (a probe's model list once per probe, each completion, each traffic result), by source and operation" + Self.cycleNote + ".", type: .histogram, labelNames: ["provider", "source", "operation"], histograms: latency, buckets: buckets),
            MetricFamily(name: name("model_availability"), help: "1 when the model is available: not failed enough times in a row to be an outage, key not rejected; else 0" + Self.cycleNote + ".", type: .gauge, labelNames: ["provider", "model"], samples: modelAvailability),
            MetricFamily(name: name("model_error_rate"), help: "Failed results / all results of the model in the window" + Self.cycleNote + ".", type: .gauge, labelNames: ["provider", "model"], samples: modelErrorRate),
        ]
        if modelHistograms {
            families.append(MetricFamily(name: name("model_response_time_seconds"), help: "Response time of the model's completions and traffic, observed once each, by source and operation" + Self.cycleNote + ".", type: .histogram, labelNames: ["provider", "model", "source", "operation"], histograms: modelLatency, buckets: buckets))
        }
        return families + selfFamilies(selfMetrics, lastAggregation: result.timestamp)
    }
}
