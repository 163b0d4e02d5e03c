import HealthCore

/// The overview at `/`: best provider, counts per status, one colour-coded row per provider.
enum OverviewPage {
    /// Error bodies are cut to this many characters in the table; the details page shows more.
    static let errorLimit = 300

    static func render(
        providers: [StatusPageProvider], best: BestProviderChoice?, generatedAt: Double?, version: String,
        metricsPath: String = PageFrame.defaultMetricsPath
    ) -> String {
        PageTemplates.render(
            view(providers: providers, best: best, generatedAt: generatedAt, version: version, metricsPath: metricsPath),
            with: .overview)
    }

    static func view(
        providers: [StatusPageProvider], best: BestProviderChoice?, generatedAt: Double?, version: String,
        metricsPath: String = PageFrame.defaultMetricsPath
    ) -> OverviewView {
        OverviewView(
            frame: PageFrame.view(
                title: "Provider health", generatedAt: generatedAt, version: version, metricsPath: metricsPath),
            updated: generatedAt.flatMap(Format.isoUTC),
            waiting: generatedAt == nil,
            best: best.map(bestBanner),
            noProviders: providers.isEmpty && generatedAt != nil,
            table: providers.isEmpty ? nil : OverviewView.ProviderTable(
                statusCounts: statusCounts(providers),
                rows: providers.map { row($0, isBest: $0.rollup.provider == best?.best, now: generatedAt) }))
    }

    static func bestBanner(_ choice: BestProviderChoice) -> OverviewView.BestBanner {
        OverviewView.BestBanner(
            reason: choice.reason,
            chosen: choice.best.map { name in
                OverviewView.ChosenProvider(
                    name: name, path: PageFrame.detailsPath(of: name),
                    alternatives: choice.alternatives.isEmpty ? nil : choice.alternatives.joined(separator: ", "))
            })
    }

    /// "2 healthy · 1 down …", in status order, only the statuses present.
    static func statusCounts(_ providers: [StatusPageProvider]) -> [OverviewView.StatusCount] {
        ProviderStatus.allCases.compactMap { status in
            let count = providers.count { $0.rollup.status == status }
            guard count > 0 else { return nil }
            return OverviewView.StatusCount(status: status.rawValue, text: "\(count) \(StatusPalette.label(of: status))")
        }
    }

    static func row(_ provider: StatusPageProvider, isBest: Bool, now: Double?) -> OverviewView.ProviderRow {
        let r = provider.rollup
        return OverviewView.ProviderRow(
            status: r.status.rawValue,
            statusLabel: StatusPalette.label(of: r.status),
            why: findings(r),
            name: r.provider,
            path: PageFrame.detailsPath(of: r.provider),
            isBest: isBest,
            score: Format.score(r.healthScore),
            p50: Format.latency(r.p50LatencySeconds),
            p95: Format.latency(r.p95LatencySeconds),
            errorRate: Format.percent(r.errorRate),
            uptime: Format.percent(provider.uptime24h),
            rateLimit: rateLimit(r.rateLimit),
            breaker: breakerLabel(r.breakerState),
            lastCheck: PageFrame.moment(provider.lastCheck, now: now),
            lastError: lastError(provider, limit: errorLimit))
    }

    /// What the rules found this cycle, in the rules' order.
    static func findings(_ rollup: ProviderRollup) -> String {
        let found = rollup.conditions.inDeclaredOrder.map(\.explanation)
        return found.isEmpty ? "nothing out of the ordinary" : found.joined(separator: "; ")
    }

    /// The provider's own message, cut to `limit`, else the failure class of the latest failure, else "—".
    static func lastError(_ provider: StatusPageProvider, limit: Int) -> String {
        provider.lastError.map { Format.truncated($0, to: limit) }
            ?? provider.rollup.latestFailure?.rawValue ?? Format.missing
    }

    static func rateLimit(_ snapshot: RateLimitSnapshot?) -> OverviewView.RateLimitCell? {
        guard let snapshot, let lowest = snapshot.lowestRemainingRatio else { return nil }
        var parts: [String] = []
        if snapshot.requestsRemainingRatio != nil {
            parts.append("requests \(Format.count(snapshot.requestsRemaining))/\(Format.count(snapshot.requestsLimit))")
        }
        if snapshot.tokensRemainingRatio != nil {
            parts.append("tokens \(Format.count(snapshot.tokensRemaining))/\(Format.count(snapshot.tokensLimit))")
        }
        return OverviewView.RateLimitCell(lowest: Format.percent(lowest), detail: parts.joined(separator: ", "))
    }

    static func breakerLabel(_ state: CircuitBreaker.State) -> String {
        String(state.rawValue.map { $0 == "_" ? " " : $0 })
    }
}
