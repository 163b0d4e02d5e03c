import CompressNIO
import ExporterServer
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HealthCore
import NIOCore
import NIOHTTP1
import OutcomeIngest

/// `POST /v1/traces`: the OTLP/HTTP trace receiver. Its GenAI spans become gateway calls, recorded like every other
/// traffic outcome (`IngestRecorder.record`, OTLP's partial success: a span that maps to no provider is dropped
/// alone); the other spans are counted in the recorder's dropped counter and left.
///
/// Answers as the OTLP/HTTP specification says: 200 with an `ExportTraceServiceResponse` in the request's encoding
/// (with `partial_success` only when spans were rejected), 400 with a `google.rpc.Status` for a malformed body,
/// 413 for a body over the ingest limit (compressed or not), 415 for another content type.
struct OTLPTraceReceiver: Sendable {
    let ingest: IngestRecorder

    var limits: IngestLimits { ingest.limits }

    func receive(_ request: HTTPRequest) -> HTTPResponse {
        guard let encoding = OTLPEncoding(contentType: request.headers.first(name: "content-type")) else {
            ingest.countRejection(reason: IngestRejection.malformed("").reason)
            return HTTPResponse(
                status: .unsupportedMediaType, contentType: "text/plain; charset=utf-8",
                body: "OTLP/HTTP traces must be application/x-protobuf or application/json\n")
        }
        do throws(IngestRejection) {
            let body = try decompressedBody(request)
            let batch = try decodeOTLPTraces(body, encoding: encoding, limits: limits)
            ingest.countDropped(batch.ignoredSpans, format: .otlp, reason: .notGenAI)
            ingest.countDropped(batch.rejectedSpans, format: .otlp, reason: .invalid)
            var recorded = GatewayIngestResult()
            if !batch.calls.isEmpty {
                recorded = try ingest.record(
                    batch.calls, format: .otlp, allOrNothing: false, now: Date().timeIntervalSince1970)
            }
            let rejected = batch.rejectedSpans + recorded.dropped.values.reduce(0, +)
            let message = [batch.firstRejection, recorded.firstProblem].compactMap { $0 }.joined(separator: "; ")
            return answer(
                .ok, OTLPResponse.export(rejectedSpans: rejected, errorMessage: message, encoding: encoding), encoding)
        } catch {
            ingest.countRejection(reason: error.reason)
            let status = HTTPResponseStatus(statusCode: error.status)
            let message = "spans rejected: \(error.reason.replacingEvery("_", with: " ")): \(error.detail)"
            let code = OTLPResponse.grpcCode(httpStatus: error.status)
            return answer(status, OTLPResponse.status(code: code, message: message, encoding: encoding), encoding)
        }
    }

    /// The body, gunzipped when `Content-Encoding: gzip` says so — never to more than the ingest body limit, so a
    /// small compressed body cannot expand into gigabytes.
    private func decompressedBody(_ request: HTTPRequest) throws(IngestRejection) -> [UInt8] {
        let contentEncoding = request.headers.first(name: "content-encoding")?.lowercased() ?? "identity"
        switch contentEncoding {
        case "identity", "":
            return request.body
        case "gzip", "x-gzip":
            do {
                var compressed = ByteBuffer(bytes: request.body)
                var plain = try compressed.decompress(with: .gzip(), maxSize: limits.maxBodyBytes + 1)
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
}
