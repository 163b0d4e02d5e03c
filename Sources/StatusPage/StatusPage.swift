import HealthCore

/// The human status page: server-rendered HTML with an inline stylesheet and no scripts, so it works
/// offline and on a phone. Pure: the caller hands in the last aggregation cycle and serves the string
/// as `text/html; charset=utf-8`.
public enum StatusPage {
    /// The page at `/`: the best provider, then one colour-coded row per provider, in the order given.
    /// Each row is a `<tr class="provider status-<status>" data-status="<status>">`.
    ///
    /// - generatedAt: Unix seconds of the aggregation cycle the values come from; nil before the first
    ///   cycle, which shows a "waiting for the first aggregation cycle" notice. Relative times
    ///   ("12 s ago") are measured from it.
    /// - best: the cycle's choice; nil leaves the banner out.
    /// `metricsPath`: where the exporter serves /metrics (`--web.telemetry-path`), linked from every page.
    public static func overview(
        providers: [StatusPageProvider], best: BestProviderChoice?, generatedAt: Double?, version: String,
        metricsPath: String = "/metrics"
    ) -> String {
        OverviewPage.render(
            providers: providers, best: best, generatedAt: generatedAt, version: version, metricsPath: metricsPath)
    }

    /// The page at `/providers/{name}`: every figure of one provider and a row per model with its
    /// availability (`<tr class="model model-available" data-available="true">`).
    public static func details(
        provider: StatusPageProvider, generatedAt: Double?, version: String, metricsPath: String = "/metrics"
    ) -> String {
        DetailsPage.render(provider: provider, generatedAt: generatedAt, version: version, metricsPath: metricsPath)
    }

    /// The path of a provider's details page, its name percent-encoded: what the overview links to.
    public static func detailsPath(of provider: String) -> String {
        PageLayout.detailsPath(of: provider)
    }
}
