import HealthCore

/// The colour of each status. Colour is never the only signal: the status is always written out too.
enum StatusPalette {
    static func colour(of status: ProviderStatus) -> String {
        switch status {
        case .healthy: return "#1a7f37"  // green
        case .degraded: return "#d4a017"  // amber
        case .rateLimited: return "#e8590c"  // orange
        case .unauthorized: return "#8250df"  // purple
        case .down: return "#cf222e"  // red
        }
    }

    /// Text that stays readable on the status colour.
    static func textColour(on status: ProviderStatus) -> String {
        status == .degraded ? "#1f2328" : "#ffffff"
    }

    /// The human label of a status ("rate limited", not "rate_limited").
    static func label(of status: ProviderStatus) -> String {
        String(status.rawValue.map { $0 == "_" ? " " : $0 })
    }
}

/// The page's only stylesheet, inlined so the page needs nothing but itself (it works offline).
enum Stylesheet {
    static let css: String = base + statusRules + phoneLayout

    /// One rule per status: `.status-<status>` sets the colour every coloured element uses.
    static var statusRules: String {
        ProviderStatus.allCases.map { status in
            ".status-\(status.rawValue) { --status: \(StatusPalette.colour(of: status)); "
                + "--on-status: \(StatusPalette.textColour(on: status)); }\n"
        }.joined()
    }

    private static let base = """
        :root { color-scheme: light; --status: #6e7781; --on-status: #ffffff; }
        * { box-sizing: border-box; }
        body { margin: 0; padding: 1rem; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
          color: #1f2328; background: #f6f8fa; }
        main { max-width: 1400px; margin: 0 auto; }
        h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
        h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
        a { color: #0969da; }
        .meta, footer { color: #57606a; font-size: .85rem; }
        footer { margin-top: 1.5rem; }
        nav.links { margin: .5rem 0 1rem; display: flex; flex-wrap: wrap; gap: .25rem 1rem; }
        .notice, .best { padding: .75rem 1rem; border-radius: 6px; margin: 1rem 0; background: #ffffff;
          border: 1px solid #d0d7de; border-left: 6px solid var(--status); }
        .best strong { font-size: 1.1rem; }
        .summary { display: flex; flex-wrap: wrap; gap: .5rem; margin: .5rem 0 1rem; padding: 0; list-style: none; }
        .table-scroll { overflow-x: auto; background: #ffffff; border: 1px solid #d0d7de; border-radius: 6px; }
        table { border-collapse: collapse; width: 100%; }
        th, td { padding: .45rem .5rem; text-align: left; vertical-align: top; border-bottom: 1px solid #d8dee4;
          white-space: nowrap; }
        th { background: #eaeef2; font-weight: 600; font-size: .85rem; white-space: normal; vertical-align: bottom; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        td.error { white-space: normal; min-width: 11rem; max-width: 24rem; overflow-wrap: anywhere; }
        tr.provider td:first-child { border-left: 6px solid var(--status); }
        .badge { display: inline-block; padding: .1rem .55rem; border-radius: 999px; font-weight: 600;
          font-size: .85rem; background: var(--status); color: var(--on-status); }
        .model-available { --status: #1a7f37; }
        .model-unavailable { --status: #cf222e; }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; background: #ffffff;
          border: 1px solid #d0d7de; border-radius: 6px; padding: .75rem 1rem; margin: 0; }
        dl.facts dt { color: #57606a; }
        dl.facts dd { margin: 0; overflow-wrap: anywhere; }
        .name { overflow-wrap: anywhere; }

        """

    /// Under 600 px the table becomes one card per row, each cell labelled by its column.
    private static let phoneLayout = """
        @media (max-width: 600px) {
          body { padding: .5rem; }
          .table-scroll { overflow-x: visible; background: none; border: 0; }
          table, tbody, tr, td { display: block; width: 100%; }
          thead { display: none; }
          tr.provider, tr.model { background: #ffffff; border: 1px solid #d0d7de; border-left: 6px solid var(--status);
            border-radius: 6px; margin-bottom: .75rem; padding: .25rem 0; }
          tr.provider td:first-child { border-left: 0; }
          td { border: 0; display: flex; justify-content: space-between; gap: 1rem; white-space: normal;
            text-align: right; }
          td.num { text-align: right; }
          td::before { content: attr(data-label); color: #57606a; font-weight: 600; text-align: left; }
          td.error { min-width: 0; max-width: none; }
          dl.facts { grid-template-columns: 1fr; }
          dl.facts dd { margin-bottom: .4rem; }
        }

        """
}
