import HealthCore

/// The status the exporter's rules give a provider after these probes, one a second: the whole path from a kind's
/// answer to what on-call sees. A fresh provider needs 7 failed probes in a row for `down`; a rejected key and a
/// quota refusal are reported at once.
func status(of provider: ProviderSettings, after probes: Int = 1, _ probe: () async throws -> ProbeOutcome)
    async rethrows -> ProviderStatus
{
    var tracker = ProviderTracker(settings: provider, global: GlobalSettings())
    let start = 1_800_000_000.0
    for index in 0..<probes {
        var outcome = try await probe()
        let at = start + Double(index)
        outcome.timestamp = at
        for result in outcome.results.indices { outcome.results[result].timestamp = at }
        tracker.record(outcome, completedAt: at)
    }
    return tracker.aggregate(now: start + Double(probes), score: ScoreSettings(), holdCycles: 1).report.rollup.status
}
