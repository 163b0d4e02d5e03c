import ExporterConfig
import ExporterServer
import Exposition
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HealthCore
import NIOCore
import NIOHTTP1
import OutcomeIngest
import Probing
import Synchronization

/// `POST /api/v1/outcomes`: decode, check against the limits and the known providers, record — all or nothing.
public final class IngestRecorder: MetricsCollector {
    let store: HealthStore
    let limits: IngestLimits
    let environment: [String: String]
    private let counters = Mutex<(received: UInt64, accepted: UInt64, rejected: [String: UInt64])>((0, 0, [:]))
    private let secretsCache = Mutex<[String: CachedSecrets]>([:])

    /// A provider's secrets as last resolved (key files and variables are read again after a minute).
    private struct CachedSecrets {
        var apiKey: APIKeySource
        var headers: [String: String]
        var secrets: [String]
        var resolvedAt: Double
    }

    public init(store: HealthStore, limits: IngestLimits, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.store = store
        self.limits = limits
        self.environment = environment
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
            let results = withoutSecrets(try decodeOutcomes(bytes, format: format, limits: limits, now: now), now: now)
            let accepted = try store.recordTraffic(results) { known, models throws(IngestRejection) in
                try checkBatch(results, knownProviders: known, modelsPerProvider: models, limits: limits)
            }
            counters.withLock {
                $0.received += UInt64(results.count)
                $0.accepted += UInt64(accepted)
            }
            return .json(["accepted": accepted], status: .accepted)
        } catch {
            countRejection(reason: error.reason)
            return .jsonError(HTTPResponseStatus(statusCode: error.status), error: "outcomes rejected: \(error.reason.replacingEvery("_", with: " "))", detail: error.detail)
        }
    }

    /// The results with the provider's own key and credential headers removed from their error texts: a gateway
    /// passes on what the provider answered, and providers echo the key they were given. (The decoder already
    /// removed words that look like keys; this catches keys of any shape, and their masked forms.)
    func withoutSecrets(_ results: [ModelResult], now: Double) -> [ModelResult] {
        guard results.contains(where: { $0.error != nil }) else { return results }
        var secretsByProvider: [String: [String]] = [:]
        return results.map { result in
            guard let error = result.error else { return result }
            let secrets = secretsByProvider[result.provider] ?? secrets(of: result.provider, now: now)
            secretsByProvider[result.provider] = secrets
            guard !secrets.isEmpty else { return result }
            var cleaned = result
            cleaned.error = redact(error, secrets: secrets, maxLength: Int.max)
            return cleaned
        }
    }

    private func secrets(of provider: String, now: Double) -> [String] {
        guard let settings = store.settings(of: provider) else { return [] }
        if let cached = secretsCache.withLock({ $0[provider] }), cached.apiKey == settings.apiKey,
            cached.headers == settings.headers, now - cached.resolvedAt < 60
        {
            return cached.secrets
        }
        let key = try? resolveAPIKey(settings.apiKey, environment: environment)
        let secrets = settings.secrets(apiKey: key?.value)
        secretsCache.withLock {
            $0[provider] = CachedSecrets(apiKey: settings.apiKey, headers: settings.headers, secrets: secrets, resolvedAt: now)
        }
        return secrets
    }

    /// provider_health_exporter_outcomes_received_total and _rejected_total{reason}.
    public func collect(_ cycle: CycleReport?) -> [MetricFamily] {
        let (received, _, rejected) = counters.withLock { $0 }
        return [
            .counter("provider_health_exporter_outcomes_received", "Passive outcomes accepted from POST /api/v1/outcomes.", Double(received)),
            MetricFamily(
                name: "provider_health_exporter_outcomes_rejected", help: "Outcome batches rejected, by reason.", type: .counter,
                labelNames: ["reason"], samples: IngestRejection.reasons.map { MetricSample(labelValues: [$0], value: Double(rejected[$0] ?? 0)) }),
        ]
    }
}
