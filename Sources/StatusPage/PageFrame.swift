import Mustache

/// What the frame every page shares shows: the title, links to the machine-readable side, the footer.
/// Like every view here it holds text only, formatted already; the templates escape all of it.
struct FrameView {
    struct Link {
        var href: String
        var label: String
    }

    var title: String
    var links: [Link]
    var version: String
    /// "last aggregation cycle 2025-03-01T12:00:05Z", or that there was none yet.
    var generated: String
    var refreshSeconds: Int
}

/// A moment as "12 s ago" with the UTC ISO-8601 time machine-readable and on hover (`time` template).
struct MomentView {
    var iso: String
    var shown: String
}

enum PageFrame {
    /// Seconds between automatic reloads: the aggregation interval's default.
    static let refreshSeconds = 30

    /// Where Prometheus scrapes unless `--web.telemetry-path` moves it.
    static let defaultMetricsPath = "/metrics"

    static func view(
        title: String, extraLinks: [FrameView.Link] = [], generatedAt: Double?, version: String,
        metricsPath: String = defaultMetricsPath
    ) -> FrameView {
        let apiLinks = [metricsPath, "/api/providers/status", "/api/providers/best", "/health"]
            .map { FrameView.Link(href: $0, label: $0) }
        let generated = generatedAt.flatMap(Format.isoUTC).map { "last aggregation cycle \($0)" }
            ?? "no aggregation cycle yet"
        return FrameView(
            title: title, links: extraLinks + apiLinks, version: version, generated: generated,
            refreshSeconds: refreshSeconds)
    }

    /// Relative to `now`; the ISO time alone when there is nothing to be relative to; nil shows "—".
    static func moment(_ unixSeconds: Double?, now: Double?) -> MomentView? {
        guard let unixSeconds, let iso = Format.isoUTC(unixSeconds) else { return nil }
        return MomentView(iso: iso, shown: now.flatMap { Format.relative(unixSeconds, now: $0) } ?? iso)
    }

    /// Where a provider's details page lives.
    static func detailsPath(of provider: String) -> String {
        "/providers/" + pathSegment(provider)
    }
}

// Reads by name for the templates (see `PageTemplates`): one case per stored property.
extension FrameView: MustacheParent {
    func child(named key: String) -> Any? {
        switch key {
        case "title": title
        case "links": links
        case "version": version
        case "generated": generated
        case "refreshSeconds": refreshSeconds
        default: nil
        }
    }
}

extension FrameView.Link: MustacheParent {
    func child(named key: String) -> Any? {
        switch key {
        case "href": href
        case "label": label
        default: nil
        }
    }
}

extension MomentView: MustacheParent {
    func child(named key: String) -> Any? {
        switch key {
        case "iso": iso
        case "shown": shown
        default: nil
        }
    }
}
