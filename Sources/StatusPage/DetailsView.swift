import Mustache

/// What the details template shows. Names are unique across nesting levels on purpose: Mustache looks a name
/// that is missing or nil in the current view up in the enclosing ones (a model's `modelErrorRate`, not the
/// provider's `errorRate`).
struct DetailsView {
    struct Facts {
        var found: String
        var score: String
        var available: String
        var modelsAvailable: String
        var errorRate: String
        var latencies: String
        var uptime: String
        var breaker: String
        var consecutiveFailures: String
        /// nil: the provider reports no rate limit.
        var rateLimit: RateLimitFacts?
        var lastCheck: DatedView?
        var lastResult: DatedView?
        var lastError: String
    }

    /// Each line is left out when the provider did not report it.
    struct RateLimitFacts {
        var requestsLeft: String?
        var tokensLeft: String?
        var retryAfter: String?
    }

    /// "2025-03-01T12:00:05Z (12 s ago)".
    struct DatedView {
        var iso: String
        var ago: String?
    }

    struct ModelTable {
        var models: [ModelRow]
    }

    struct ModelRow {
        var modelName: String
        var isAvailable: Bool
        /// "available" or "unavailable": the row's class and its badge.
        var availability: String
        var modelErrorRate: String
        var results: String
        var p50: String
        var p95: String
        var lastSeen: MomentView?
        var lastFailure: String
    }

    var frame: FrameView
    var status: String
    var statusLabel: String
    var advice: String
    var name: String
    var pathSegment: String
    var waiting: Bool
    var facts: Facts
    /// nil when no model has been reported yet.
    var modelTable: ModelTable?
}

// Reads by name for the templates (see `PageTemplates`): one case per stored property.
extension DetailsView: MustacheParent {
    func child(named key: String) -> Any? {
        switch key {
        case "frame": frame
        case "status": status
        case "statusLabel": statusLabel
        case "advice": advice
        case "name": name
        case "pathSegment": pathSegment
        case "waiting": waiting
        case "facts": facts
        case "modelTable": modelTable
        default: nil
        }
    }
}

extension DetailsView.Facts: MustacheParent {
    func child(named key: String) -> Any? {
        switch key {
        case "found": found
        case "score": score
        case "available": available
        case "modelsAvailable": modelsAvailable
        case "errorRate": errorRate
        case "latencies": latencies
        case "uptime": uptime
        case "breaker": breaker
        case "consecutiveFailures": consecutiveFailures
        case "rateLimit": rateLimit
        case "lastCheck": lastCheck
        case "lastResult": lastResult
        case "lastError": lastError
        default: nil
        }
    }
}

extension DetailsView.RateLimitFacts: MustacheParent {
    func child(named key: String) -> Any? {
        switch key {
        case "requestsLeft": requestsLeft
        case "tokensLeft": tokensLeft
        case "retryAfter": retryAfter
        default: nil
        }
    }
}

extension DetailsView.DatedView: MustacheParent {
    func child(named key: String) -> Any? {
        switch key {
        case "iso": iso
        case "ago": ago
        default: nil
        }
    }
}

extension DetailsView.ModelTable: MustacheParent {
    func child(named key: String) -> Any? {
        switch key {
        case "models": models
        default: nil
        }
    }
}

extension DetailsView.ModelRow: MustacheParent {
    func child(named key: String) -> Any? {
        switch key {
        case "modelName": modelName
        case "isAvailable": isAvailable
        case "availability": availability
        case "modelErrorRate": modelErrorRate
        case "results": results
        case "p50": p50
        case "p95": p95
        case "lastSeen": lastSeen
        case "lastFailure": lastFailure
        default: nil
        }
    }
}
