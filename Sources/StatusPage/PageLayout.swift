/// The frame every page shares: head (viewport, refresh, inline style), links, footer.
enum PageLayout {
    /// Seconds between automatic reloads: the aggregation interval's default.
    static let refreshSeconds = 30

    /// A whole document. `title` is escaped here; `body` is already HTML.
    static func document(title: String, body: String) -> String {
        // The CSP allows nothing but the inline stylesheet: no scripts, no external fetches, even if a
        // name slipped past escaping. `data:,` as the icon keeps browsers from asking for /favicon.ico.
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta http-equiv="refresh" content="\(refreshSeconds)">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; \
        img-src data:; base-uri 'none'; form-action 'none'">
        <link rel="icon" href="data:,">
        <title>\(HTML.escape(title))</title>
        <style>
        \(Stylesheet.css)</style>
        </head>
        <body>
        <main>
        \(body)</main>
        </body>
        </html>

        """
    }

    /// Where Prometheus scrapes unless `--web.telemetry-path` moves it.
    static let defaultMetricsPath = "/metrics"

    /// Links to the machine-readable side of the exporter; `metricsPath` is wherever /metrics is served.
    static func apiLinks(extra: [(href: String, label: String)] = [], metricsPath: String = defaultMetricsPath)
        -> String
    {
        let links = extra + [
            (metricsPath, metricsPath),
            ("/api/providers/status", "/api/providers/status"),
            ("/api/providers/best", "/api/providers/best"),
            ("/health", "/health"),
        ]
        return "<nav class=\"links\">"
            + links.map { "<a href=\"\(HTML.escape($0.href))\">\(HTML.escape($0.label))</a>" }.joined(separator: " ")
            + "</nav>\n"
    }

    static func footer(generatedAt: Double?, version: String) -> String {
        let generated = generatedAt.flatMap(Format.isoUTC).map { "last aggregation cycle \($0)" }
            ?? "no aggregation cycle yet"
        return "<footer>provider-health-exporter \(HTML.escape(version)) · \(generated) · "
            + "this page refreshes every \(refreshSeconds) s</footer>\n"
    }

    /// A moment as "12 s ago" (relative to `now`) with the UTC ISO-8601 time machine-readable and on hover;
    /// as the ISO time alone when there is nothing to be relative to.
    static func time(_ unixSeconds: Double?, now: Double?) -> String {
        guard let unixSeconds, let iso = Format.isoUTC(unixSeconds) else { return Format.missing }
        let shown = now.flatMap { Format.relative(unixSeconds, now: $0) } ?? iso
        return "<time datetime=\"\(iso)\" title=\"\(iso)\">\(shown)</time>"
    }

    /// A `<td>` with the label the phone layout shows in front of the value.
    static func cell(_ label: String, _ content: String, classes: String? = nil) -> String {
        let classAttribute = classes.map { " class=\"\($0)\"" } ?? ""
        return "<td data-label=\"\(HTML.escape(label))\"\(classAttribute)>\(content)</td>"
    }

    static func badge(_ text: String) -> String {
        "<span class=\"badge\">\(HTML.escape(text))</span>"
    }

    /// Where a provider's details page lives.
    static func detailsPath(of provider: String) -> String {
        "/providers/" + HTML.pathSegment(provider)
    }
}
