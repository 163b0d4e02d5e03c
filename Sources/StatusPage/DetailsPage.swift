import HealthCore

/// One provider at `/providers/{name}`: every figure the rollup has, then one row per model.
enum DetailsPage {
    /// Error bodies are cut to this many characters.
    static let errorLimit = 4000

    static func render(
        provider: StatusPageProvider, generatedAt: Double?, version: String,
        metricsPath: String = PageFrame.defaultMetricsPath
    ) -> String {
        PageTemplates.render(
            view(provider: provider, generatedAt: generatedAt, version: version, metricsPath: metricsPath), with: .details)
    }

    static func view(
        provider: StatusPageProvider, generatedAt: Double?, version: String,
        metricsPath: String = PageFrame.defaultMetricsPath
    ) -> DetailsView {
        let r = provider.rollup
        let segment = pathSegment(r.provider)
        let frame = PageFrame.view(
            title: "\(r.provider) — provider health",
            extraLinks: [
                .init(href: "/", label: "← all providers"),
                .init(href: "/api/providers/status/" + segment, label: "this provider as JSON"),
            ],
            generatedAt: generatedAt, version: version, metricsPath: metricsPath)
        return DetailsView(
            frame: frame,
            status: r.status.rawValue,
            statusLabel: StatusPalette.label(of: r.status),
            advice: statusAdvice(r.status),
            name: r.provider,
            pathSegment: segment,
            waiting: generatedAt == nil,
            facts: facts(provider, now: generatedAt),
            modelTable: r.models.isEmpty ? nil : .init(models: r.models.map { modelRow($0, now: generatedAt) }))
    }

    /// What the status asks the reader to do.
    static func statusAdvice(_ status: ProviderStatus) -> String {
        switch status {
        case .healthy: return "Everything is within thresholds."
        case .degraded: return "Slow or failing now and then: watch it, consider routing away."
        case .rateLimited: return "Rate-limited or nearly out of budget: slow down."
        case .unauthorized: return "The API key was refused: fix the key, not the provider."
        case .down: return "Every model failed too many times in a row: route away."
        }
    }

    static func facts(_ provider: StatusPageProvider, now: Double?) -> DetailsView.Facts {
        let r = provider.rollup
        return DetailsView.Facts(
            found: OverviewPage.findings(r),
            score: Format.score(r.healthScore),
            available: r.available ? "yes" : "no",
            modelsAvailable: "\(r.modelsAvailable) of \(r.modelsTotal)",
            errorRate: "\(Format.percent(r.errorRate)) (\(r.failures) of \(r.results) results failed)",
            latencies: [r.p50LatencySeconds, r.p95LatencySeconds, r.p99LatencySeconds].map(Format.latency)
                .joined(separator: " / "),
            uptime: Format.percent(provider.uptime24h),
            breaker: OverviewPage.breakerLabel(r.breakerState),
            consecutiveFailures: String(r.consecutiveFailures),
            rateLimit: rateLimitFacts(r.rateLimit),
            lastCheck: dated(provider.lastCheck, now: now),
            lastResult: dated(r.lastResultTimestamp, now: now),
            lastError: OverviewPage.lastError(provider, limit: errorLimit))
    }

    static func rateLimitFacts(_ snapshot: RateLimitSnapshot?) -> DetailsView.RateLimitFacts? {
        guard let snapshot, !snapshot.isEmpty else { return nil }
        var facts = DetailsView.RateLimitFacts()
        if snapshot.requestsRemaining != nil || snapshot.requestsLimit != nil {
            facts.requestsLeft = budget(
                snapshot.requestsRemaining, snapshot.requestsLimit, snapshot.requestsRemainingRatio,
                reset: snapshot.requestsResetSeconds)
        }
        if snapshot.tokensRemaining != nil || snapshot.tokensLimit != nil {
            facts.tokensLeft = budget(
                snapshot.tokensRemaining, snapshot.tokensLimit, snapshot.tokensRemainingRatio,
                reset: snapshot.tokensResetSeconds)
        }
        facts.retryAfter = snapshot.retryAfterSeconds.flatMap { Format.fixed($0, digits: 0) }.map { "\($0) s" }
        return facts
    }

    /// "40 of 50 (80 %), resets in 6 s".
    static func budget(_ remaining: Double?, _ limit: Double?, _ ratio: Double?, reset: Double?) -> String {
        var text = "\(Format.count(remaining)) of \(Format.count(limit))"
        if ratio != nil { text += " (\(Format.percent(ratio)))" }
        if let reset, let seconds = Format.fixed(reset, digits: 0) { text += ", resets in \(seconds) s" }
        return text
    }

    static func dated(_ unixSeconds: Double?, now: Double?) -> DetailsView.DatedView? {
        guard let unixSeconds, let iso = Format.isoUTC(unixSeconds) else { return nil }
        return DetailsView.DatedView(iso: iso, ago: now.flatMap { Format.relative(unixSeconds, now: $0) })
    }

    static func modelRow(_ model: ModelRollup, now: Double?) -> DetailsView.ModelRow {
        DetailsView.ModelRow(
            modelName: model.name,
            isAvailable: model.available,
            availability: model.available ? "available" : "unavailable",
            modelErrorRate: Format.percent(model.errorRate),
            results: String(model.results),
            p50: Format.latency(model.p50LatencySeconds),
            p95: Format.latency(model.p95LatencySeconds),
            lastSeen: PageFrame.moment(model.lastResultTimestamp, now: now),
            lastFailure: model.lastFailure?.rawValue ?? Format.missing)
    }
}
