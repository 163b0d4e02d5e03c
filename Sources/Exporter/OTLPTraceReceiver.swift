import CompressNIO
import Exposition
import ExporterServer
import HealthCore
import NIOCore
import NIOHTTP1
import OutcomeIngest
import Synchronization

/// `POST /v1/traces`: the OTLP/HTTP trace receiver. Its GenAI spans become gateway calls, recorded like every other
/// traffic outcome; the other spans are counted and dropped.
///
/// Answers as the OTLP/HTTP specification says: 200 with an `ExportTraceServiceResponse` in the request's encoding
/// (with `partial_success` only when spans were rejected), 400 with a `google.rpc.Status` for a malformed body,
/// 413 for a body over the ingest limit (compressed or not), 415 for another content type.
final class OTLPTraceReceiver: MetricsCollector {
    let limits: IngestLimits
    /// Records the calls; answers how many were rejected (unknown provider, ...) and why the first was.
    let record: @Sendable ([GatewayCall]) -> (rejected: Int, firstRejection: String?)
    /// Counts a refused request by `IngestRejection.reason`, with the outcomes route's refusals.
    let countRefusal: @Sendable (String) -> Void
    private let spans = Mutex<(ignored: UInt64, rejected: UInt64)>((0, 0))

    init(
        limits: IngestLimits, record: @escaping @Sendable ([GatewayCall]) -> (rejected: Int, firstRejection: String?),
        countRefusal: @escaping @Sendable (String) -> Void
    ) {
        self.limits = limits
        self.record = record
        self.countRefusal = countRefusal
    }

    func receive(_ request: HTTPRequest) -> HTTPResponse {
        guard let encoding = OTLPEncoding(contentType: request.headers.first(name: "content-type")) else {
            countRefusal("malformed")
            return HTTPResponse(
                status: .unsupportedMediaType, contentType: "text/plain; charset=utf-8",
                body: "OTLP/HTTP traces must be application/x-protobuf or application/json\n")
        }
        do throws(IngestRejection) {
            let body = try decompressedBody(request)
            let batch = try decodeOTLPTraces(body, encoding: encoding, limits: limits)
            let recorded = batch.calls.isEmpty ? (rejected: 0, firstRejection: nil) : record(batch.calls)
            let rejected = batch.rejectedSpans + recorded.rejected
            spans.withLock {
                $0.ignored += UInt64(batch.ignoredSpans)
                $0.rejected += UInt64(rejected)
            }
            let message = [batch.firstRejection, recorded.firstRejection].compactMap { $0 }.joined(separator: "; ")
            return answer(
                .ok, OTLPResponse.export(rejectedSpans: rejected, errorMessage: message, encoding: encoding), encoding)
        } catch {
            countRefusal(error.reason)
            let status = HTTPResponseStatus(statusCode: error.status)
            let message = "spans rejected: \(error.reason.replacingEvery("_", with: " ")): \(error.detail)"
            let code = OTLPResponse.grpcCode(httpStatus: error.status)
            return answer(status, OTLPResponse.status(code: code, message: message, encoding: encoding), encoding)
        }
    }

    /// The body, gunzipped when `Content-Encoding: gzip` says so — never to more than the ingest body limit, so a
    /// small compressed body cannot expand into gigabytes.
    private func decompressedBody(_ request: HTTPRequest) throws(IngestRejection) -> [UInt8] {
        var body = request.body
        let contentEncoding = request.headers.first(name: "content-encoding")?.lowercased() ?? "identity"
        switch contentEncoding {
        case "identity", "":
            return body.readBytes(length: body.readableBytes) ?? []
        case "gzip", "x-gzip":
            do {
                var plain = try body.decompress(with: .gzip(), maxSize: limits.maxBodyBytes + 1)
                guard plain.readableBytes <= limits.maxBodyBytes else { throw CompressNIOError.bufferOverflow }
                return plain.readBytes(length: plain.readableBytes) ?? []
            } catch let error as CompressNIOError where error == .bufferOverflow {
                throw IngestRejection(
                    status: 413, reason: "body_too_large",
                    detail: "the gzip body expands past the limit of \(limits.maxBodyBytes) bytes")
            } catch {
                throw .malformed("the body is not valid gzip")
            }
        default:
            throw .malformed("unsupported Content-Encoding (gzip or none)")
        }
    }

    private func answer(_ status: HTTPResponseStatus, _ body: [UInt8], _ encoding: OTLPEncoding) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["content-type": encoding.contentType], body: ByteBuffer(bytes: body))
    }

    /// provider_health_exporter_spans_ignored_total and _spans_rejected_total.
    func collect(_ cycle: CycleReport?) -> [MetricFamily] {
        let (ignored, rejected) = spans.withLock { $0 }
        return [
            .counter(
                "provider_health_exporter_spans_ignored", "OTLP spans received without GenAI attributes: not calls to a provider.",
                Double(ignored)),
            .counter(
                "provider_health_exporter_spans_rejected",
                "OTLP GenAI spans rejected (no model, impossible times, unknown provider): OTLP's rejected_spans.",
                Double(rejected)),
        ]
    }
}
