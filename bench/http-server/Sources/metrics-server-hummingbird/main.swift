import struct ExporterServer.FileDescriptorLimit
import Exposition
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import MetricsVariants
import NIOCore

// /metrics through Hummingbird 2 at its most favourable: the same negotiation cache and pre-rendered bodies, with
// each variant's complete `Response` built once at start (Hummingbird's own types, so no header conversion per
// request), and the exporter's limits where Hummingbird has a setting for them (head size, header count, idle
// timeout, backlog).
let arguments = BenchArguments.parse()
let variants = try MetricsVariants(directory: arguments.bodies)
let responses = variants.all.map { variant in
    var fields = HTTPFields()
    for (name, value) in variant.headers { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
    return Response(status: .ok, headers: fields, body: ResponseBody(byteBuffer: variant.body))
}
let negotiation = NegotiationCache()
let router = Hummingbird.Router()
router.get("/metrics") { request, _ -> Response in
    let answer = negotiation.answer(accept: request.headers[.accept], acceptEncoding: request.headers[.acceptEncoding])
    return responses[MetricsVariants.index(format: answer.format, gzip: answer.gzip)]
}
router.get("/-/healthy") { _, _ in "OK\n" }

var logger = Logger(label: "metrics-server-hummingbird")
logger.logLevel = .warning
// As the exporter does at start: a flood of idle connections needs more than the usual 1,024 descriptors.
FileDescriptorLimit.raiseSoftLimitToHard()
let limits = HTTP1Channel.Configuration.DecoderConfiguration(
    maxHeaderFieldSize: 64 << 10, maxHeaderListSize: 64 << 10, maxHeaderFieldCount: 100)
let app = Application(
    router: router,
    server: .http1(configuration: .init(idleTimeout: .seconds(60), httpDecoderConfiguration: limits)),
    configuration: .init(address: .hostname("127.0.0.1", port: arguments.port), backlog: 4096),
    onServerRunning: { channel in
        print("listening on 127.0.0.1:\(channel.localAddress?.port ?? 0)")
    },
    logger: logger
)
try await app.runService()
