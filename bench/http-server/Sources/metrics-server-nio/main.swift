import ExporterServer
import Exposition
import Logging
import MetricsVariants
import NIOHTTP1

// /metrics as the exporter serves it: the hand-written server and router of ExporterServer, an immediate route,
// the negotiation cache and complete pre-built responses.
let arguments = BenchArguments.parse()
let variants = try MetricsVariants(directory: arguments.bodies)
let responses = variants.all.map { variant in
    HTTPResponse(status: .ok, headers: HTTPHeaders(variant.headers), body: variant.body)
}
let negotiation = NegotiationCache()
var router = Router()
router.add(
    .GET, "/metrics",
    .immediate { request in
        let answer = negotiation.answer(
            accept: request.headers.first(name: "accept"), acceptEncoding: request.headers.first(name: "accept-encoding"))
        return responses[MetricsVariants.index(format: answer.format, gzip: answer.gzip)]
    })
router.add(.GET, "/-/healthy", .immediate { _ in HTTPResponse(contentType: "text/plain; charset=utf-8", body: "OK\n") })

var logger = Logger(label: "metrics-server-nio")
logger.logLevel = .warning
_ = FileDescriptorLimit.raiseSoftLimitToHard()
let server = try await HTTPServer.start(
    configuration: .init(host: "127.0.0.1", port: arguments.port), router: router, logger: logger)
print("listening on 127.0.0.1:\(server.localPort)")
await server.closed()
