import Exposition
import Synchronization

/// The exporter itself: its build, configuration reloads and aggregation cycles.
final class ExporterMetrics: MetricsCollector {
    let version: String
    let revision: String
    let reloadStatus: ReloadStatus
    /// Duration of the previous cycle: the current one is still being measured while it renders.
    private let lastDuration = Mutex<Double>(0)

    init(version: String, revision: String, reloadStatus: ReloadStatus) {
        self.version = version
        self.revision = revision
        self.reloadStatus = reloadStatus
    }

    func recordCycle(seconds: Double) { lastDuration.withLock { $0 = seconds } }

    func collect(_ cycle: CycleReport?) -> [MetricFamily] {
        [
            MetricFamily(
                name: "provider_health_exporter_build_info",
                help: "A metric with a constant 1 labelled by the exporter's version and revision.", type: .gauge,
                labelNames: ["version", "revision"], samples: [MetricSample(labelValues: [version, revision], value: 1)]),
            .gauge("provider_health_exporter_config_last_reload_successful", "Whether the last configuration reload succeeded (1) or failed (0).", reloadStatus.successful ? 1 : 0),
            .gauge("provider_health_exporter_config_last_reload_success_timestamp_seconds", "Unix time of the last successful configuration load.", reloadStatus.lastSuccess),
            .gauge("provider_health_exporter_aggregation_duration_seconds", "Duration of the previous aggregation cycle (roll-up and rendering).", lastDuration.withLock { $0 }),
            .gauge("provider_health_exporter_last_aggregation_timestamp_seconds", "Unix time of the last aggregation cycle, 0 before the first.", cycle?.timestamp ?? 0),
        ]
    }
}

/// The standard process_* families (CPU, memory, descriptors, start time), read when a cycle renders.
public struct ProcessCollector: MetricsCollector {
    var read: @Sendable () -> ProcessMetrics = { ProcessMetrics.read() }

    public init() {}

    init(read: @escaping @Sendable () -> ProcessMetrics) { self.read = read }

    public func collect(_ cycle: CycleReport?) -> [MetricFamily] {
        let p = read()
        let values: [(String, String, MetricType, Double?)] = [
            ("process_cpu_seconds", "Total user and system CPU time spent in seconds.", .counter, p.cpuSeconds),
            ("process_resident_memory_bytes", "Resident memory size in bytes.", .gauge, p.residentMemoryBytes),
            ("process_virtual_memory_bytes", "Virtual memory size in bytes.", .gauge, p.virtualMemoryBytes),
            ("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", .gauge, p.startTimeSeconds),
            ("process_open_fds", "Number of open file descriptors.", .gauge, p.openFDs),
            ("process_max_fds", "Maximum number of open file descriptors.", .gauge, p.maxFDs),
        ]
        return values.compactMap { name, help, type, value in
            value.map {
                MetricFamily(name: name, help: help, type: type, labelNames: [], samples: [MetricSample(labelValues: [], value: $0)])
            }
        }
    }
}

extension MetricFamily {
    /// A family of one unlabelled gauge.
    static func gauge(_ name: String, _ help: String, _ value: Double) -> MetricFamily {
        MetricFamily(name: name, help: help, type: .gauge, labelNames: [], samples: [MetricSample(labelValues: [], value: value)])
    }

    /// A family of one unlabelled counter.
    static func counter(_ name: String, _ help: String, _ value: Double) -> MetricFamily {
        MetricFamily(name: name, help: help, type: .counter, labelNames: [], samples: [MetricSample(labelValues: [], value: value)])
    }
}
