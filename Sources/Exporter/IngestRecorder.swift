import ExporterServer
import Exposition
import Foundation
import HealthCore
import NIOCore
import NIOHTTP1
import OutcomeIngest
import Synchronization

/// `POST /api/v1/outcomes`: decode, check against the limits and the known providers, record — all or nothing.
public final class IngestRecorder: Sendable {
    let store: HealthStore
    let limits: IngestLimits
    private let counters = Mutex<(received: UInt64, accepted: UInt64, rejected: [String: UInt64])>((0, 0, [:]))

    /// Every rejection reason, exported as 0 until it happens.
    static let reasons = ["malformed", "invalid", "body_too_large", "batch_too_large", "unknown_provider", "too_many_models", "unauthorized"]

    public init(store: HealthStore, limits: IngestLimits) {
        self.store = store
        self.limits = limits
    }

    func countRejection(reason: String) {
        counters.withLock { $0.rejected[reason, default: 0] += 1 }
    }

    func ingest(_ request: HTTPRequest) -> HTTPResponse {
        var body = request.body
        let bytes = body.readBytes(length: body.readableBytes) ?? []
        let now = Date().timeIntervalSince1970
        do throws(IngestRejection) {
            guard bytes.count <= limits.maxBodyBytes else {
                throw IngestRejection(status: 413, reason: "body_too_large", detail: "the body is \(bytes.count) bytes; the limit is \(limits.maxBodyBytes)")
            }
            let format = OutcomeFormat.detect(contentType: request.headers.first(name: "content-type"), firstByte: bytes.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }))
            let results = try decodeOutcomes(bytes, format: format, limits: limits, now: now)
            let accepted = try store.recordTraffic(results) { known, models throws(IngestRejection) in
                try checkBatch(results, knownProviders: known, modelsPerProvider: models, limits: limits)
            }
            counters.withLock {
                $0.received += UInt64(results.count)
                $0.accepted += UInt64(accepted)
            }
            return HTTPResponse(status: .accepted, contentType: "application/json", body: "{\"accepted\":\(accepted)}\n")
        } catch {
            countRejection(reason: error.reason)
            return .jsonError(HTTPResponseStatus(statusCode: error.status), error: "outcomes rejected: \(error.reason.replacingOccurrences(of: "_", with: " "))", detail: error.detail)
        }
    }

    /// provider_health_exporter_outcomes_received_total and _rejected_total{reason}.
    public func families(namespace: String?) -> [MetricFamily] {
        let (received, _, rejected) = counters.withLock { $0 }
        let prefix = namespace.map { "\($0)_" } ?? ""
        return [
            MetricFamily(
                name: prefix + "provider_health_exporter_outcomes_received", help: "Passive outcomes accepted from POST /api/v1/outcomes.",
                type: .counter, labelNames: [], samples: [MetricSample(labelValues: [], value: Double(received))]),
            MetricFamily(
                name: prefix + "provider_health_exporter_outcomes_rejected", help: "Outcome batches rejected, by reason.", type: .counter,
                labelNames: ["reason"], samples: Self.reasons.map { MetricSample(labelValues: [$0], value: Double(rejected[$0] ?? 0)) }),
        ]
    }
}
