import HealthCore

/// The overview at `/`: best provider, counts per status, one colour-coded row per provider.
enum OverviewPage {
    static let columns: [(label: String, numeric: Bool)] = [
        ("Status", false), ("Provider", false), ("Score", true), ("p50", true), ("p95", true),
        ("Error rate", true), ("Uptime 24 h", true), ("Rate limit left", true), ("Breaker", false),
        ("Last check", false), ("Last error", false),
    ]

    static func render(
        providers: [StatusPageProvider], best: BestProviderChoice?, generatedAt: Double?, version: String,
        metricsPath: String = PageLayout.defaultMetricsPath
    ) -> String {
        var body = "<header>\n<h1>Provider health</h1>\n"
        if let generatedAt, let iso = Format.isoUTC(generatedAt) {
            body += "<p class=\"meta\">Updated <time datetime=\"\(iso)\">\(iso)</time></p>\n"
        }
        body += "</header>\n" + PageLayout.apiLinks(metricsPath: metricsPath)

        if generatedAt == nil {
            body += "<p class=\"notice\" id=\"waiting\">Waiting for the first aggregation cycle: "
                + "the figures appear once the providers have been probed and rolled up.</p>\n"
        }
        if let best { body += bestBanner(best) }
        if providers.isEmpty {
            if generatedAt != nil {
                body += "<p class=\"notice\" id=\"no-providers\">No providers are configured.</p>\n"
            }
        } else {
            body += summary(providers) + table(providers, bestName: best?.best, now: generatedAt)
        }
        body += PageLayout.footer(generatedAt: generatedAt, version: version)
        return PageLayout.document(title: "Provider health", body: body)
    }

    /// The provider to route to, or why there is none.
    static func bestBanner(_ choice: BestProviderChoice) -> String {
        guard let name = choice.best else {
            return "<section class=\"best status-down\" id=\"best\" data-best=\"\">"
                + "<strong>No healthy provider</strong> — \(HTML.escape(choice.reason))</section>\n"
        }
        var text = "<section class=\"best status-healthy\" id=\"best\" data-best=\"\(HTML.escape(name))\">"
            + "Best provider: <a href=\"\(HTML.escape(PageLayout.detailsPath(of: name)))\">"
            + "<strong class=\"name\">\(HTML.escape(name))</strong></a> — \(HTML.escape(choice.reason))"
        if !choice.alternatives.isEmpty {
            text += ". Alternatives: " + choice.alternatives.map { HTML.escape($0) }.joined(separator: ", ")
        }
        return text + "</section>\n"
    }

    /// "2 healthy · 1 down …", in status order, only the statuses present.
    static func summary(_ providers: [StatusPageProvider]) -> String {
        let items = ProviderStatus.allCases.compactMap { status -> String? in
            let count = providers.count { $0.rollup.status == status }
            guard count > 0 else { return nil }
            return "<li class=\"status-\(status.rawValue)\">"
                + PageLayout.badge("\(count) \(StatusPalette.label(of: status))") + "</li>"
        }
        return "<ul class=\"summary\" aria-label=\"providers per status\">" + items.joined() + "</ul>\n"
    }

    static func table(_ providers: [StatusPageProvider], bestName: String?, now: Double?) -> String {
        let head = columns.map { "<th scope=\"col\"\($0.numeric ? " class=\"num\"" : "")>\($0.label)</th>" }.joined()
        let rows = providers.map { row($0, isBest: $0.rollup.provider == bestName, now: now) }.joined()
        return "<div class=\"table-scroll\">\n<table id=\"providers\">\n<thead><tr>\(head)</tr></thead>\n<tbody>\n"
            + rows + "</tbody>\n</table>\n</div>\n"
    }

    static func row(_ provider: StatusPageProvider, isBest: Bool, now: Double?) -> String {
        let r = provider.rollup
        let status = r.status.rawValue
        let name = HTML.escape(r.provider)
        // One span, so the phone layout keeps the name and the best mark together.
        let link = "<span><a class=\"name\" href=\"\(HTML.escape(PageLayout.detailsPath(of: r.provider)))\">\(name)</a>"
            + (isBest ? " <span class=\"best-tag\" title=\"best provider\">★ best</span>" : "") + "</span>"
        let error = provider.lastError.map { HTML.escape(HTML.truncated($0, to: 300)) }
            ?? r.latestFailure.map { HTML.escape($0.rawValue) } ?? Format.missing
        let cells = [
            PageLayout.cell("Status", "<span title=\"\(why(r))\">" + PageLayout.badge(StatusPalette.label(of: r.status)) + "</span>"),
            PageLayout.cell("Provider", link),
            PageLayout.cell("Score", Format.score(r.healthScore), classes: "num"),
            PageLayout.cell("p50", Format.latency(r.p50LatencySeconds), classes: "num"),
            PageLayout.cell("p95", Format.latency(r.p95LatencySeconds), classes: "num"),
            PageLayout.cell("Error rate", Format.percent(r.errorRate), classes: "num"),
            PageLayout.cell("Uptime 24 h", Format.percent(provider.uptime24h), classes: "num"),
            PageLayout.cell("Rate limit left", rateLimit(r.rateLimit), classes: "num"),
            PageLayout.cell("Breaker", HTML.escape(breakerLabel(r.breakerState))),
            PageLayout.cell("Last check", PageLayout.time(provider.lastCheck, now: now)),
            PageLayout.cell("Last error", error, classes: "error"),
        ]
        return "<tr class=\"provider status-\(status)\" data-status=\"\(status)\" data-provider=\"\(name)\">"
            + cells.joined() + "</tr>\n"
    }

    /// What the rules found, for the status badge's tooltip.
    static func why(_ rollup: ProviderRollup) -> String {
        let found = rollup.conditions.inDeclaredOrder.map(\.explanation)
        return HTML.escape(found.isEmpty ? "nothing out of the ordinary" : found.joined(separator: "; "))
    }

    /// The lowest remaining share the provider reported, with the raw numbers on hover.
    static func rateLimit(_ snapshot: RateLimitSnapshot?) -> String {
        guard let snapshot, let lowest = snapshot.lowestRemainingRatio else { return Format.missing }
        var parts: [String] = []
        if snapshot.requestsRemainingRatio != nil {
            parts.append("requests \(Format.count(snapshot.requestsRemaining))/\(Format.count(snapshot.requestsLimit))")
        }
        if snapshot.tokensRemainingRatio != nil {
            parts.append("tokens \(Format.count(snapshot.tokensRemaining))/\(Format.count(snapshot.tokensLimit))")
        }
        return "<span title=\"\(parts.joined(separator: ", "))\">\(Format.percent(lowest))</span>"
    }

    static func breakerLabel(_ state: CircuitBreaker.State) -> String {
        String(state.rawValue.map { $0 == "_" ? " " : $0 })
    }
}
