import HealthCore

/// One provider at `/providers/{name}`: every figure the rollup has, then one row per model.
enum DetailsPage {
    static let modelColumns: [(label: String, numeric: Bool)] = [
        ("Model", false), ("Availability", false), ("Error rate", true), ("Results", true), ("p50", true),
        ("p95", true), ("Last result", false), ("Last failure", false),
    ]

    static func render(
        provider: StatusPageProvider, generatedAt: Double?, version: String,
        metricsPath: String = PageLayout.defaultMetricsPath
    ) -> String {
        let r = provider.rollup
        let status = r.status.rawValue
        let name = HTML.escape(r.provider)
        let segment = HTML.escape(HTML.pathSegment(r.provider))

        var body = PageLayout.apiLinks(extra: [
            ("/", "← all providers"), ("/api/providers/status/" + HTML.pathSegment(r.provider), "this provider as JSON"),
        ], metricsPath: metricsPath)
        body += "<section class=\"provider-summary status-\(status)\" data-status=\"\(status)\" "
            + "data-provider=\"\(name)\" data-path=\"\(segment)\">\n"
            + "<h1 class=\"name\">\(name)</h1>\n"
            + "<p>\(PageLayout.badge(StatusPalette.label(of: r.status))) \(statusAdvice(r.status))</p>\n"
            + "</section>\n"
        if generatedAt == nil {
            body += "<p class=\"notice\" id=\"waiting\">Waiting for the first aggregation cycle.</p>\n"
        }
        body += "<h2>Summary</h2>\n" + facts(provider, now: generatedAt)
        body += "<h2>Models</h2>\n" + models(r.models, now: generatedAt)
        body += PageLayout.footer(generatedAt: generatedAt, version: version)
        return PageLayout.document(title: "\(r.provider) — provider health", body: body)
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

    static func facts(_ provider: StatusPageProvider, now: Double?) -> String {
        let r = provider.rollup
        let why = r.conditions.inDeclaredOrder.map { HTML.escape($0.explanation) }
        var rows: [(String, String)] = [
            ("Found this cycle", why.isEmpty ? "nothing out of the ordinary" : why.joined(separator: "; ")),
            ("Health score", Format.score(r.healthScore)),
            ("Available", r.available ? "yes" : "no"),
            ("Models available", "\(r.modelsAvailable) of \(r.modelsTotal)"),
            ("Error rate", "\(Format.percent(r.errorRate)) (\(r.failures) of \(r.results) results failed)"),
            ("Latency p50 / p95 / p99", [r.p50LatencySeconds, r.p95LatencySeconds, r.p99LatencySeconds]
                .map(Format.latency).joined(separator: " / ")),
            ("Uptime 24 h", Format.percent(provider.uptime24h)),
            ("Circuit breaker", HTML.escape(OverviewPage.breakerLabel(r.breakerState))),
            ("Consecutive failures", String(r.consecutiveFailures)),
        ]
        rows += rateLimitFacts(r.rateLimit)
        rows.append(("Last check", absoluteAndRelative(provider.lastCheck, now: now)))
        rows.append(("Last result", absoluteAndRelative(r.lastResultTimestamp, now: now)))
        let error = provider.lastError.map { HTML.escape(HTML.truncated($0, to: 4000)) }
            ?? r.latestFailure.map { HTML.escape($0.rawValue) } ?? Format.missing
        rows.append(("Last error", "<span class=\"error\">\(error)</span>"))
        return "<dl class=\"facts\">\n" + rows.map { "<dt>\($0.0)</dt><dd>\($0.1)</dd>\n" }.joined() + "</dl>\n"
    }

    static func rateLimitFacts(_ snapshot: RateLimitSnapshot?) -> [(String, String)] {
        guard let snapshot, !snapshot.isEmpty else { return [("Rate limit", "not reported by the provider")] }
        var rows: [(String, String)] = []
        if snapshot.requestsRemaining != nil || snapshot.requestsLimit != nil {
            rows.append(("Requests left", budget(
                snapshot.requestsRemaining, snapshot.requestsLimit, snapshot.requestsRemainingRatio,
                reset: snapshot.requestsResetSeconds)))
        }
        if snapshot.tokensRemaining != nil || snapshot.tokensLimit != nil {
            rows.append(("Tokens left", budget(
                snapshot.tokensRemaining, snapshot.tokensLimit, snapshot.tokensRemainingRatio,
                reset: snapshot.tokensResetSeconds)))
        }
        if let wait = snapshot.retryAfterSeconds, let text = Format.fixed(wait, digits: 0) {
            rows.append(("Retry after", "\(text) s"))
        }
        return rows
    }

    static func budget(_ remaining: Double?, _ limit: Double?, _ ratio: Double?, reset: Double?) -> String {
        var text = "\(Format.count(remaining)) of \(Format.count(limit))"
        if ratio != nil { text += " (\(Format.percent(ratio)))" }
        if let reset, let seconds = Format.fixed(reset, digits: 0) { text += ", resets in \(seconds) s" }
        return text
    }

    /// "2025-03-01T12:00:05Z (12 s ago)".
    static func absoluteAndRelative(_ unixSeconds: Double?, now: Double?) -> String {
        guard let unixSeconds, let iso = Format.isoUTC(unixSeconds) else { return Format.missing }
        let relative = now.flatMap { Format.relative(unixSeconds, now: $0) }.map { " (\($0))" } ?? ""
        return "<time datetime=\"\(iso)\">\(iso)</time>\(relative)"
    }

    static func models(_ models: [ModelRollup], now: Double?) -> String {
        guard !models.isEmpty else { return "<p class=\"notice\" id=\"no-models\">No models reported yet.</p>\n" }
        let head = modelColumns.map { "<th scope=\"col\"\($0.numeric ? " class=\"num\"" : "")>\($0.label)</th>" }
            .joined()
        let rows = models.map { model -> String in
            let availability = model.available ? "available" : "unavailable"
            let cells = [
                PageLayout.cell("Model", "<span class=\"name\">\(HTML.escape(model.name))</span>"),
                PageLayout.cell("Availability", PageLayout.badge(availability)),
                PageLayout.cell("Error rate", Format.percent(model.errorRate), classes: "num"),
                PageLayout.cell("Results", String(model.results), classes: "num"),
                PageLayout.cell("p50", Format.latency(model.p50LatencySeconds), classes: "num"),
                PageLayout.cell("p95", Format.latency(model.p95LatencySeconds), classes: "num"),
                PageLayout.cell("Last result", PageLayout.time(model.lastResultTimestamp, now: now)),
                PageLayout.cell("Last failure", model.lastFailure.map { HTML.escape($0.rawValue) } ?? Format.missing),
            ]
            return "<tr class=\"model model-\(availability)\" data-model=\"\(HTML.escape(model.name))\" "
                + "data-available=\"\(model.available)\">" + cells.joined() + "</tr>\n"
        }
        return "<div class=\"table-scroll\">\n<table id=\"models\">\n<thead><tr>\(head)</tr></thead>\n<tbody>\n"
            + rows.joined() + "</tbody>\n</table>\n</div>\n"
    }
}
