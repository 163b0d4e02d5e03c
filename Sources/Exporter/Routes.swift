import ExporterServer
import Exposition
import NIOHTTP1

/// The routes of the exporter's HTTP server.
public enum ExporterRoutes {
    /// `telemetryPath`: where Prometheus scrapes (`--web.telemetry-path`).
    public static func router(holder: SnapshotHolder, telemetryPath: String = "/metrics") -> Router {
        var router = Router()
        let negotiation = NegotiationCache()
        router.add(.GET, telemetryPath, .immediate { request in metrics(request, holder: holder, negotiation: negotiation) })
        router.add(.GET, "/-/healthy", .immediate { _ in HTTPResponse(contentType: "text/plain; charset=utf-8", body: "OK\n") })
        router.add(
            .GET, "/-/ready",
            .immediate { _ in
                holder.isReady
                    ? HTTPResponse(contentType: "text/plain; charset=utf-8", body: "ready\n")
                    : HTTPResponse(status: .serviceUnavailable, contentType: "text/plain; charset=utf-8", body: "not ready: waiting for the first aggregation cycle\n")
            })
        return router
    }

    /// Serves the pre-rendered snapshot: negotiation, then a shared, complete response. Nothing is computed here.
    static func metrics(_ request: HTTPRequest, holder: SnapshotHolder, negotiation: NegotiationCache) -> HTTPResponse {
        let answer = negotiation.answer(
            accept: request.headers.first(name: "accept"), acceptEncoding: request.headers.first(name: "accept-encoding"))
        return holder.metricsResponse(format: answer.format, gzip: answer.gzip)
    }
}
