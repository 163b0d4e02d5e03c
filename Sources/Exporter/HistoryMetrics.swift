import Exposition
import HistoryStore

/// The history's queue and drops: provider_health_exporter_history_queue_rows and _rows_dropped_total.
struct HistoryMetrics: MetricsCollector {
    let history: HistoryStore

    func collect(_ cycle: CycleReport?) -> [MetricFamily] {
        [
            .gauge("provider_health_exporter_history_queue_rows", "History rows waiting for the database to accept them.", Double(history.queuedRows)),
            .counter("provider_health_exporter_history_rows_dropped", "History rows dropped because the waiting queue was full.", Double(history.droppedRows)),
        ]
    }
}
