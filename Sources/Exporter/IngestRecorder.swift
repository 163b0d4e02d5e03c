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
    private let counters = Mutex<Counters>(Counters())
    private let secretsCache = Mutex<[String: CachedSecrets]>([:])

    private struct Counters {
        var received: [GatewayFormat: UInt64] = [:]
        var rejected: [String: UInt64] = [:]
        var dropped: [DropKey: UInt64] = [:]
    }

    private struct DropKey: Hashable {
        var format: GatewayFormat
        var reason: DropReason
    }

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

    /// Counts a refused batch by its reason and answers with the status and detail the rejection names.
    private func rejected(_ rejection: IngestRejection) -> HTTPResponse {
        countRejection(reason: rejection.reason)
        return .jsonError(
            HTTPResponseStatus(statusCode: rejection.status),
            error: "outcomes rejected: \(rejection.reason.replacingEvery("_", with: " "))", detail: rejection.detail)
    }

    /// LiteLLM's `generic_api` logging callback (`?format=litellm`): one call per `StandardLoggingPayload`, all or
    /// nothing; the proxy's own refusals are counted as dropped, not as the provider's failures.
    func ingestLiteLLM(_ request: HTTPRequest) -> HTTPResponse {
        let now = Date().timeIntervalSince1970
        do throws(IngestRejection) {
            let calls = try decodeLiteLLMPayloads(request.body, limits: limits, now: now)
            let result = try record(calls, format: .litellm, allOrNothing: true, now: now)
            return .json(["accepted": result.accepted, "dropped": result.dropped.values.reduce(0, +)], status: .accepted)
        } catch {
            return rejected(error)
        }
    }

    func ingest(_ request: HTTPRequest) -> HTTPResponse {
        let now = Date().timeIntervalSince1970
        do throws(IngestRejection) {
            let bytes = request.body
            guard bytes.count <= limits.maxBodyBytes else {
                throw IngestRejection(status: 413, reason: "body_too_large", detail: "the body is \(bytes.count) bytes; the limit is \(limits.maxBodyBytes)")
            }
            let format = OutcomeFormat.detect(contentType: request.headers.first(name: "content-type"), firstByte: bytes.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }))
            let results = withoutSecrets(try decodeOutcomes(bytes, format: format, limits: limits, now: now), now: now)
            let accepted = try store.recordTraffic(results) { known, models throws(IngestRejection) in
                try checkBatch(results, knownProviders: known, modelsPerProvider: models, limits: limits)
            }
            counters.withLock { $0.received[.outcomes, default: 0] += UInt64(accepted) }
            return .json(["accepted": accepted], status: .accepted)
        } catch {
            return rejected(error)
        }
    }

    /// Records the calls a gateway reported: each mapped to a configured provider by `TrafficRoutes`, the
    /// gateway's own refusals left out (they never reached a provider). `allOrNothing`: a call that maps to no
    /// provider refuses the whole batch (`unknown_provider`, 422), as for the outcomes schema; otherwise (OTLP's
    /// partial success) that call alone is dropped and counted. Unknown providers are tracked from their traffic
    /// instead with `--ingest.accept-unknown-providers`.
    public func record(_ calls: [GatewayCall], format: GatewayFormat, allOrNothing: Bool, now: Double) throws(IngestRejection)
        -> GatewayIngestResult
    {
        let routes = store.trafficRoutes
        var result = GatewayIngestResult()
        var results: [ModelResult] = []
        results.reserveCapacity(calls.count)
        var lastRoute: (ReportedRoute, String?)?
        for (index, call) in calls.enumerated() {
            if call.refusedByGateway {
                result.dropped[.gatewayRefusal, default: 0] += 1
                continue
            }
            // A batch repeats a few routes: map each run once.
            let provider: String?
            if let (route, name) = lastRoute, route == call.route {
                provider = name
            } else {
                provider = routes.provider(for: call.route)
                    ?? (limits.acceptUnknownProviders ? routes.unmatchedName(for: call.route) : nil)
                lastRoute = (call.route, provider)
            }
            if let problem = timestampProblem(call.timestamp, now: now) {
                if allOrNothing { throw .invalid("call \(index): \(problem)") }
                result.dropped[.invalid, default: 0] += 1
                result.firstProblem = result.firstProblem ?? problem
                continue
            }
            guard let provider else {
                let reported = call.route.provider ?? call.route.group ?? call.route.endpoint ?? "(none)"
                if allOrNothing { throw .unknownProvider(reported) }
                result.dropped[.unknownProvider, default: 0] += 1
                result.firstProblem = result.firstProblem ?? IngestRejection.unknownProvider(reported).detail
                continue
            }
            results.append(
                ModelResult(
                    provider: provider, model: call.model, success: call.success, reason: call.reason,
                    latencySeconds: call.latencySeconds, statusCode: call.statusCode, source: .traffic,
                    operation: call.operation, timestamp: call.timestamp, error: call.errorLabel,
                    timeToFirstTokenSeconds: call.timeToFirstTokenSeconds))
        }
        let limits = self.limits
        result.accepted = try store.recordTraffic(withoutSecrets(results, now: now)) {
            known, models throws(IngestRejection) in
            try checkBatch(results, knownProviders: known, modelsPerProvider: models, limits: limits)
        }
        counters.withLock {
            $0.received[format, default: 0] += UInt64(result.accepted)
            for (reason, count) in result.dropped {
                $0.dropped[DropKey(format: format, reason: reason), default: 0] += UInt64(count)
            }
        }
        return result
    }

    /// Counts calls a gateway reported that the decoder left out (spans without GenAI attributes, spans it
    /// rejected), beside those `record` drops.
    public func countDropped(_ count: Int, format: GatewayFormat, reason: DropReason) {
        guard count > 0 else { return }
        counters.withLock { $0.dropped[DropKey(format: format, reason: reason), default: 0] += UInt64(count) }
    }

    /// The results with the provider's own key and credential headers removed from their error texts: a gateway
    /// passes on what the provider answered, and providers echo the key they were given. (The decoder already
    /// removed words that look like keys; this catches keys of any shape, and their masked forms.)
    func withoutSecrets(_ results: [ModelResult], now: Double) -> [ModelResult] {
        guard results.contains(where: { $0.error != nil }) else { return results }
        var secretsByProvider: [String: [String]] = [:]
        // A gateway's batch repeats a few error labels per provider: each is cleaned once.
        var cleanedErrors: [ProviderError: String] = [:]
        return results.map { result in
            guard let error = result.error else { return result }
            let key = ProviderError(provider: result.provider, error: error)
            var cleaned = result
            if let known = cleanedErrors[key] {
                cleaned.error = known
                return cleaned
            }
            let secrets = secretsByProvider[result.provider] ?? secrets(of: result.provider, now: now)
            secretsByProvider[result.provider] = secrets
            cleaned.error = secrets.isEmpty ? error : redact(error, secrets: secrets, maxLength: Int.max)
            cleanedErrors[key] = cleaned.error
            return cleaned
        }
    }

    private struct ProviderError: Hashable {
        var provider: String
        var error: String
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
        let counts = counters.withLock { $0 }
        return [
            MetricFamily(
                name: "provider_health_exporter_outcomes_received", help: "Passive outcomes recorded, by the format a gateway sent them in.", type: .counter,
                labelNames: ["format"], samples: GatewayFormat.allCases.map { MetricSample(labelValues: [$0.rawValue], value: Double(counts.received[$0] ?? 0)) }),
            MetricFamily(
                name: "provider_health_exporter_outcomes_rejected", help: "Outcome batches rejected, by reason.", type: .counter,
                labelNames: ["reason"], samples: IngestRejection.reasons.map { MetricSample(labelValues: [$0], value: Double(counts.rejected[$0] ?? 0)) }),
            MetricFamily(
                name: "provider_health_exporter_outcomes_dropped", help: "Calls a gateway reported that were not recorded, by format and reason: the gateway's own refusals, spans without GenAI attributes, calls of unknown providers or invalid spans in an OTLP partial success.", type: .counter,
                labelNames: ["format", "reason"],
                samples: GatewayFormat.allCases.flatMap { format in
                    format.dropReasons.map { MetricSample(labelValues: [format.rawValue, $0.rawValue], value: Double(counts.dropped[DropKey(format: format, reason: $0)] ?? 0)) }
                }),
        ]
    }
}

/// The formats passive outcomes arrive in: the `format` label of the ingest counters.
public enum GatewayFormat: String, Sendable, CaseIterable, Hashable {
    /// This exporter's own schema on `POST /api/v1/outcomes`.
    case outcomes
    /// LiteLLM's `generic_api` logging callback (`POST /api/v1/outcomes?format=litellm`).
    case litellm
    /// OpenTelemetry GenAI spans (`POST /v1/traces`).
    case otlp

    /// Why a call of this format can be left out (the outcomes schema refuses a batch instead): each is exported
    /// from the start, at 0.
    var dropReasons: [DropReason] {
        switch self {
        case .outcomes: return []
        case .litellm: return [.gatewayRefusal]
        case .otlp: return [.notGenAI, .unknownProvider, .invalid]
        }
    }
}

/// Why a reported call was not recorded.
public enum DropReason: String, Sendable, CaseIterable, Hashable {
    /// The gateway refused it itself (its own rate limit or budget): it never reached a provider.
    case gatewayRefusal = "gateway_refusal"
    /// A span without GenAI attributes: not a model call.
    case notGenAI = "not_genai"
    /// No configured provider matches it (OTLP partial success).
    case unknownProvider = "unknown_provider"
    /// A GenAI span missing what an outcome needs (OTLP partial success).
    case invalid
}

/// What `IngestRecorder.record` did with a batch of gateway calls.
public struct GatewayIngestResult: Sendable, Equatable {
    public var accepted = 0
    public var dropped: [DropReason: Int] = [:]
    /// The first reason a call was dropped (unknown provider, too old), for OTLP's `partial_success.error_message`.
    public var firstProblem: String?
    public init() {}
}
