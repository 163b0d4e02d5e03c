import Mustache

/// What the overview template shows. Names are unique across nesting levels on purpose: Mustache looks a name
/// that is missing or nil in the current view up in the enclosing ones.
struct OverviewView {
    struct BestBanner {
        var reason: String
        /// nil: no healthy provider.
        var chosen: ChosenProvider?
    }

    struct ChosenProvider {
        var name: String
        var path: String
        /// The other healthy providers, best first, comma-separated; nil when there are none.
        var alternatives: String?
    }

    struct ProviderTable {
        var statusCounts: [StatusCount]
        var rows: [ProviderRow]
    }

    struct StatusCount {
        var status: String
        /// "2 degraded".
        var text: String
    }

    struct ProviderRow {
        var status: String
        var statusLabel: String
        /// What the rules found, for the status badge's tooltip.
        var why: String
        var name: String
        var path: String
        var isBest: Bool
        var score: String
        var p50: String
        var p95: String
        var errorRate: String
        var uptime: String
        var rateLimit: RateLimitCell?
        var breaker: String
        var lastCheck: MomentView?
        var lastError: String
    }

    /// The lowest remaining share the provider reported, with the raw numbers on hover.
    struct RateLimitCell {
        var lowest: String
        var detail: String
    }

    var frame: FrameView
    /// The cycle's ISO time, for the header.
    var updated: String?
    var waiting: Bool
    var best: BestBanner?
    var noProviders: Bool
    /// nil when there is no provider to list.
    var table: ProviderTable?
}

// Reads by name for the templates (see `PageTemplates`): one case per stored property.
extension OverviewView: MustacheParent {
    func child(named key: String) -> Any? {
        switch key {
        case "frame": frame
        case "updated": updated
        case "waiting": waiting
        case "best": best
        case "noProviders": noProviders
        case "table": table
        default: nil
        }
    }
}

extension OverviewView.BestBanner: MustacheParent {
    func child(named key: String) -> Any? {
        switch key {
        case "reason": reason
        case "chosen": chosen
        default: nil
        }
    }
}

extension OverviewView.ChosenProvider: MustacheParent {
    func child(named key: String) -> Any? {
        switch key {
        case "name": name
        case "path": path
        case "alternatives": alternatives
        default: nil
        }
    }
}

extension OverviewView.ProviderTable: MustacheParent {
    func child(named key: String) -> Any? {
        switch key {
        case "statusCounts": statusCounts
        case "rows": rows
        default: nil
        }
    }
}

extension OverviewView.StatusCount: MustacheParent {
    func child(named key: String) -> Any? {
        switch key {
        case "status": status
        case "text": text
        default: nil
        }
    }
}

extension OverviewView.ProviderRow: MustacheParent {
    func child(named key: String) -> Any? {
        switch key {
        case "status": status
        case "statusLabel": statusLabel
        case "why": why
        case "name": name
        case "path": path
        case "isBest": isBest
        case "score": score
        case "p50": p50
        case "p95": p95
        case "errorRate": errorRate
        case "uptime": uptime
        case "rateLimit": rateLimit
        case "breaker": breaker
        case "lastCheck": lastCheck
        case "lastError": lastError
        default: nil
        }
    }
}

extension OverviewView.RateLimitCell: MustacheParent {
    func child(named key: String) -> Any? {
        switch key {
        case "lowest": lowest
        case "detail": detail
        default: nil
        }
    }
}
