#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HealthCore
import Probing
import NIOCore
import Synchronization

/// The simulated providers, what they have been asked, and how they answer. Shared by all connections.
final class SimulatorCore: Sendable {
    struct Mounted: Sendable {
        let provider: SimulatedProvider
        let endpoints: SimulatedEndpoints
    }

    struct Record {
        var count = 0
        var last: SimulatedRequest?
    }

    /// Providers by their path-safe name.
    let mounted: [String: Mounted]
    private let records: Mutex<[String: Record]>
    /// Open connections, closed at shutdown even when they never answer.
    private let connections = Mutex<[ObjectIdentifier: any Channel]>([:])

    init(providers: [SimulatedProvider]) throws {
        var mounted: [String: Mounted] = [:]
        for provider in providers {
            let key = pathSafe(provider.name)
            guard mounted[key] == nil else { throw SimulatorError.duplicateName(provider.name) }
            mounted[key] = Mounted(provider: provider, endpoints: SimulatedEndpoints(provider: provider))
        }
        self.mounted = mounted
        self.records = Mutex(Dictionary(uniqueKeysWithValues: mounted.keys.map { ($0, Record()) }))
    }

    func record(for name: String) -> Record { records.withLock { $0[pathSafe(name)] ?? Record() } }

    func register(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        connections.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in
            _ = self?.connections.withLock { $0.removeValue(forKey: id) }
        }
    }

    func openConnections() -> [any Channel] { connections.withLock { Array($0.values) } }

    /// Decides what to do with one request: routes it to its provider, counts it, applies the behaviour.
    func plan(for request: SimulatedRequest) -> ResponsePlan {
        let path = request.path
        let segments = path.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        // path is "/<name>/<rest>": segments[0] is empty, segments[1] is "<name>/<rest>"
        guard segments.count == 2 else { return .respond(unknownProvider(), afterSeconds: 0) }
        let nameAndRest = segments[1]
        let name = nameAndRest.prefix { $0 != "/" }
        let rest = nameAndRest.dropFirst(name.count)
        guard let mounted = mounted[String(name)] else { return .respond(unknownProvider(), afterSeconds: 0) }

        let number = records.withLock { records -> Int in
            records[String(name), default: Record()].count += 1
            records[String(name)]?.last = request
            return records[String(name)]?.count ?? 0
        }
        let provider = mounted.provider
        let baseDelay = provider.extraLatency + Self.smallLatency(number)
        let errors = SimulatedErrors(kind: provider.kind)

        switch provider.behaviour {
        case .neverAnswer:
            return .neverAnswer
        case .drip(let interval):
            return .drip(interval: max(0.001, interval))
        case .closeConnection:
            return .close
        case .unauthorized:
            return .respond(errors.unauthorized(presentedKey: presentedKey(request, kind: provider.kind)),
                            afterSeconds: baseDelay)
        case .rateLimited:
            return .respond(errors.rateLimited(), afterSeconds: baseDelay)
        case .status(let code, let headers, let body):
            return .respond(SimulatedResponse(status: code, headers: headers, body: Array(body.utf8)),
                            afterSeconds: baseDelay)
        case .flaky(let every) where every > 0 && number >= 2 && (number - 2) % every == 0:
            return .respond(errors.unavailable(), afterSeconds: baseDelay)
        case .healthy, .slow, .flaky, .badJSON:
            break
        }

        if let required = provider.requiredKey, presentedKey(request, kind: provider.kind) != required {
            return .respond(errors.unauthorized(presentedKey: presentedKey(request, kind: provider.kind)),
                            afterSeconds: baseDelay)
        }
        var response = mounted.endpoints.respond(to: request, path: rest, requestNumber: number)
        var delay = baseDelay
        if case .slow(let seconds) = provider.behaviour { delay += seconds }
        if case .badJSON = provider.behaviour, (200..<300).contains(response.status) {
            response.headers = [("content-type", "text/html")]
            response.body = Array("<html><body>upstream temporarily replaced by a maintenance page</body></html>".utf8)
        }
        return .respond(response, afterSeconds: delay)
    }

    /// The credential a request carries, in the header its kind uses.
    func presentedKey(_ request: SimulatedRequest, kind: ProviderKind) -> String? {
        switch kind {
        case .anthropic: return request.header("x-api-key")
        case .gemini: return request.header("x-goog-api-key")
        default:
            guard let auth = request.header("authorization"), auth.lowercased().hasPrefix("bearer ") else {
                return nil
            }
            return String(auth.dropFirst(7))
        }
    }

    /// 5–25 ms, varying deterministically with the request number.
    static func smallLatency(_ number: Int) -> Double { 0.005 + Double((number &* 7919) % 21) / 1000 }

    private func unknownProvider() -> SimulatedResponse {
        SimulatedResponse(status: 404, json: #"{"error":{"message":"no such simulated provider"}}"#)
    }
}

/// Errors the simulator can be asked to start with.
public enum SimulatorError: Error, CustomStringConvertible {
    case duplicateName(String)
    public var description: String {
        switch self {
        case .duplicateName(let name): return "two simulated providers are named \(name)"
        }
    }
}
