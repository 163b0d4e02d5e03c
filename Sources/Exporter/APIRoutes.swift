import ExporterConfig
import ExporterServer
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HealthCore
import HistoryStore
import NIOCore
import NIOHTTP1
import OutcomeIngest
import StatusPage

/// The JSON API, the status page, ingest and the admin routes.
public struct ExporterAPI: Sendable {
    let store: HealthStore
    let holder: SnapshotHolder
    let history: HistoryStore?
    let checks: OnDemandChecks
    let admin: TokenGuard
    let ingestGuard: TokenGuard
    let ingest: IngestRecorder
    let reload: @Sendable () -> Result<Int, ConfigErrors>
    let version: String
    /// Where /metrics is served, for the pages' links.
    var metricsPath = "/metrics"

    static let json = "application/json"

    public func register(in router: inout Router) {
        router.add(.GET, "/health", .immediate { _ in health() })
        router.add(.GET, "/api/providers/status", .async { _ in statusAll() })
        router.add(.GET, "/api/providers/status/{name}", .async { request in statusOne(request.pathParameters["name"] ?? "") })
        router.add(.GET, "/api/providers/best", .immediate { _ in best() })
        router.add(.GET, "/api/providers/history", .async { request in historyJSON(request) })
        router.add(.GET, "/api/providers/export/csv", .async { request in historyCSVResponse(request) })
        router.add(.POST, "/api/providers/{name}/check", .async { request in await check(request) })
        router.add(.POST, "/api/providers/{name}/reset", .immediate { request in reset(request) })
        router.add(.POST, "/api/v1/outcomes", .immediate { request in outcomes(request) })
        router.add(.POST, "/v1/traces", .immediate { request in traces(request) })
        router.add(.GET, "/config", .immediate { _ in config() })
        router.add(.POST, "/-/reload", .async { request in reloadRoute(request) })
        router.add(.GET, "/", .async { _ in overviewPage() })
        router.add(.GET, "/providers/{name}", .async { request in detailsPage(request.pathParameters["name"] ?? "") })
    }

    private func ok(_ body: String, status: HTTPResponseStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, contentType: Self.json, body: body)
    }

    /// The report of the last cycle: every answer about providers comes from it alone.
    private var report: CycleReport? { holder.snapshot.report }

    func health() -> HTTPResponse {
        struct Health: Encodable {
            var status: String
            var ready: Bool
            var providers: [String: String]
            var bestProvider: String?
            var timestamp: String
            var lastAggregation: String?
            var cycle: CycleView?
            enum CodingKeys: String, CodingKey {
                case status, ready, providers, timestamp, cycle
                case bestProvider = "best_provider"
                case lastAggregation = "last_aggregation"
            }
        }
        let result = self.report
        let rollups = result?.rollups ?? []
        let healthy = rollups.count(where: { $0.status == .healthy })
        // Overall: healthy when every provider is; degraded while at least one is; down when none is.
        let overall =
            result == nil ? "starting" : rollups.isEmpty ? "healthy" : healthy == rollups.count ? "healthy" : healthy > 0 ? "degraded" : "down"
        return ok(
            encodeJSON(
                Health(
                    status: overall, ready: result != nil,
                    providers: Dictionary(uniqueKeysWithValues: rollups.map { ($0.provider, $0.status.rawValue) }),
                    bestProvider: result?.best.best, timestamp: rfc3339(Date().timeIntervalSince1970),
                    lastAggregation: result.map { rfc3339($0.timestamp) }, cycle: result.map(CycleView.init))))
    }

    func statusAll() -> HTTPResponse {
        struct All: Encodable {
            var timestamp: String?
            var cycle: CycleView?
            var providers: [ProviderView]
        }
        let report = self.report
        let views = report.map { report in report.providers.map { providerView($0, of: report, withModels: false) } } ?? []
        return ok(encodeJSON(All(timestamp: report.map { rfc3339($0.timestamp) }, cycle: report.map(CycleView.init), providers: views)))
    }

    func statusOne(_ name: String) -> HTTPResponse {
        guard let report else {
            guard store.settings(of: name) != nil else { return unknownProvider(name) }
            return .jsonError(.serviceUnavailable, error: "not ready", detail: "waiting for the first aggregation cycle")
        }
        guard let provider = report.provider(named: name) else { return unknownProvider(name) }
        var view = providerView(provider, of: report, withModels: true)
        view.cycle = CycleView(report)
        return ok(encodeJSON(view))
    }

    private func unknownProvider(_ name: String) -> HTTPResponse {
        .jsonError(.notFound, error: "unknown provider", detail: "no provider named \(name) is configured")
    }

    func best() -> HTTPResponse {
        struct Alternative: Encodable {
            var name: String
            var healthScore: Double
            var p95LatencySeconds: Double?
            enum CodingKeys: String, CodingKey {
                case name
                case healthScore = "health_score"
                case p95LatencySeconds = "p95_latency_seconds"
            }
        }
        struct Best: Encodable {
            var bestProvider: String?
            var healthScore: Double?
            var reason: String
            var alternatives: [Alternative]
            var cycle: CycleView?
            enum CodingKeys: String, CodingKey {
                case reason, alternatives, cycle
                case bestProvider = "best_provider"
                case healthScore = "health_score"
            }
            // best_provider is always present: null says "none is healthy" explicitly.
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(bestProvider, forKey: .bestProvider)
                try c.encodeIfPresent(healthScore, forKey: .healthScore)
                try c.encode(reason, forKey: .reason)
                try c.encode(alternatives, forKey: .alternatives)
                try c.encodeIfPresent(cycle, forKey: .cycle)
            }
        }
        guard let result = report else {
            return ok(encodeJSON(Best(bestProvider: nil, reason: "waiting for the first aggregation cycle", alternatives: [])), status: .serviceUnavailable)
        }
        let byName = Dictionary(uniqueKeysWithValues: result.rollups.map { ($0.provider, $0) })
        let choice = result.best
        let body = Best(
            bestProvider: choice.best, healthScore: choice.best.flatMap { byName[$0]?.healthScore }, reason: choice.reason,
            alternatives: choice.alternatives.compactMap { name in
                byName[name].map { Alternative(name: name, healthScore: $0.healthScore, p95LatencySeconds: finite($0.p95LatencySeconds)) }
            }, cycle: CycleView(result))
        return ok(encodeJSON(body), status: choice.best == nil ? .serviceUnavailable : .ok)
    }

    /// `hours` query parameter: 1...168 (the retention), default 24.
    func hoursParameter(_ request: HTTPRequest) -> Result<Double, RouteError> {
        guard let text = request.query["hours"] else { return .success(24) }
        guard let hours = Double(text), hours > 0, hours <= 168 else {
            return .failure(RouteError(.jsonError(.badRequest, error: "invalid hours", detail: "hours must be a number in (0, 168], got \(text)")))
        }
        return .success(hours)
    }

    func historyRows(_ request: HTTPRequest) -> Result<[HistoryRow], RouteError> {
        guard let history else {
            return .failure(RouteError(.jsonError(.notFound, error: "history disabled", detail: "start with --history.path to keep history")))
        }
        switch hoursParameter(request) {
        case .failure(let error): return .failure(error)
        case .success(let hours):
            let provider = request.query["provider"]
            if let provider, store.settings(of: provider) == nil, !provider.isEmpty {
                return .failure(RouteError(.jsonError(.notFound, error: "unknown provider", detail: "no provider named \(provider) is configured")))
            }
            switch history.rows(since: Date().timeIntervalSince1970 - hours * 3600, provider: provider?.isEmpty == true ? nil : provider) {
            case .success(let rows): return .success(rows)
            case .failure(let error):
                return .failure(RouteError(.jsonError(.serviceUnavailable, error: "history unavailable", detail: "\(error)")))
            }
        }
    }

    func historyJSON(_ request: HTTPRequest) -> HTTPResponse {
        struct History: Encodable {
            var hours: Double
            var points: [HistoryRow]
        }
        switch historyRows(request) {
        case .failure(let error): return error.response
        case .success(let rows):
            let hours = (try? hoursParameter(request).get()) ?? 24
            return ok(encodeJSON(History(hours: hours, points: rows)))
        }
    }

    func historyCSVResponse(_ request: HTTPRequest) -> HTTPResponse {
        switch historyRows(request) {
        case .failure(let error): return error.response
        case .success(let rows):
            var response = HTTPResponse(contentType: "text/csv; charset=utf-8", body: historyCSV(rows))
            response.headers.add(name: "content-disposition", value: "attachment; filename=\"provider-history.csv\"")
            return response
        }
    }

    func check(_ request: HTTPRequest) async -> HTTPResponse {
        if let rejection = admin.reject(request) { return rejection }
        let name = request.pathParameters["name"] ?? ""
        let force = ["true", "1", "yes"].contains(request.query["force"]?.lowercased() ?? "")
        switch await checks.check(name, force: force) {
        case .unknownProvider:
            return .jsonError(.notFound, error: "unknown provider", detail: "no provider named \(name) is configured")
        case .notProbed:
            return .jsonError(
                .conflict, error: "not probed",
                detail: "\(name) is known only from gateway traffic; configure it to probe it")
        case .cached(let outcome):
            return ok(encodeJSON(ProbeOutcomeView(outcome, cached: true)))
        case .fresh(let outcome):
            return ok(encodeJSON(ProbeOutcomeView(outcome, cached: false)))
        case .budgetExhausted(let until):
            var response = HTTPResponse.jsonError(
                .tooManyRequests, error: "probe budget exhausted",
                detail: "\(name) may be probed again at \(rfc3339(until)) (probe budget or the provider's retry-after)")
            response.headers.add(name: "retry-after", value: String(Int(max(1, (until - Date().timeIntervalSince1970).rounded(.up)))))
            return response
        case .cancelled:
            return .jsonError(.serviceUnavailable, error: "check cancelled", detail: "the exporter is shutting down or reloading")
        }
    }

    func reset(_ request: HTTPRequest) -> HTTPResponse {
        if let rejection = admin.reject(request) { return rejection }
        let name = request.pathParameters["name"] ?? ""
        guard store.resetBreaker(of: name) else {
            return .jsonError(.notFound, error: "unknown provider", detail: "no provider named \(name) is configured")
        }
        struct Reset: Encodable {
            var provider: String
            var circuit_breaker = "closed"
        }
        return .json(Reset(provider: name))
    }

    func outcomes(_ request: HTTPRequest) -> HTTPResponse {
        if let rejection = ingestGuard.reject(request) {
            ingest.countRejection(reason: IngestRejection.unauthorized().reason)
            return rejection
        }
        switch request.query["format"] {
        case nil, "outcomes": return ingest.ingest(request)
        case "litellm": return ingest.ingestLiteLLM(request)
        case let other?:
            ingest.countRejection(reason: IngestRejection.invalid("").reason)
            return .jsonError(.badRequest, error: "outcomes rejected: invalid",
                              detail: "unknown format \(other.count > 32 ? "(long)" : "\"\(other)\""): use litellm or leave it out")
        }
    }

    /// OTLP/HTTP trace export: same guard as the outcomes route.
    func traces(_ request: HTTPRequest) -> HTTPResponse {
        if let rejection = ingestGuard.reject(request) {
            ingest.countRejection(reason: IngestRejection.unauthorized().reason)
            return rejection
        }
        return OTLPTraceReceiver(ingest: ingest).receive(request)
    }

    func config() -> HTTPResponse {
        HTTPResponse(contentType: "text/yaml; charset=utf-8", body: redactedDescription(store.configuration))
    }

    func reloadRoute(_ request: HTTPRequest) -> HTTPResponse {
        if let rejection = admin.reject(request) { return rejection }
        switch reload() {
        case .success(let count):
            struct Reloaded: Encodable {
                var status = "reloaded"
                var providers: Int
            }
            return .json(Reloaded(providers: count))
        case .failure(let errors):
            return .jsonError(.badRequest, error: "invalid configuration, keeping the previous one", detail: errors.description)
        }
    }

    func pageProviders(_ report: CycleReport) -> [StatusPageProvider] {
        report.providers.map { provider in
            StatusPageProvider(
                rollup: provider.rollup, uptime24h: report.uptimes[provider.name]?.day,
                lastCheck: provider.lastProbeTimestamp, lastError: provider.lastError)
        }
    }

    func overviewPage() -> HTTPResponse {
        let report = self.report
        let html = StatusPage.overview(
            providers: report.map(pageProviders) ?? [], best: report?.best, generatedAt: report?.timestamp, version: version,
            metricsPath: metricsPath)
        return HTTPResponse(contentType: "text/html; charset=utf-8", body: html)
    }

    func detailsPage(_ name: String) -> HTTPResponse {
        guard let report else {
            guard store.settings(of: name) != nil else { return unknownProvider(name) }
            return HTTPResponse(
                status: .serviceUnavailable, contentType: "text/html; charset=utf-8",
                body: StatusPage.overview(
                    providers: [], best: nil, generatedAt: nil, version: version, metricsPath: metricsPath))
        }
        guard let provider = pageProviders(report).first(where: { $0.rollup.provider == name }) else {
            return unknownProvider(name)
        }
        return HTTPResponse(
            contentType: "text/html; charset=utf-8",
            body: StatusPage.details(
                provider: provider, generatedAt: report.timestamp, version: version, metricsPath: metricsPath))
    }
}

/// An error response a helper hands back to its route.
struct RouteError: Error {
    var response: HTTPResponse
    init(_ response: HTTPResponse) { self.response = response }
}
