import HealthCore
import Probing

/// How a simulated provider answers every request it receives.
public enum SimulatedBehaviour: Sendable {
    /// 200 with the configured models, after a small latency.
    case healthy
    /// Healthy, but every answer comes after this many seconds.
    case slow(seconds: Double)
    /// Every Nth request, counting from the 2nd (2, 2+N, 2+2N, …), is a 503; the others are healthy.
    case flaky(failEvery: Int)
    /// 429 with rate-limit headers showing little remaining, and `retry-after: 1`.
    case rateLimited
    /// 401 with the provider's error JSON (which echoes the presented key, as some providers do).
    case unauthorized
    /// A fixed answer to every request.
    case status(code: Int, headers: [(String, String)], body: String)
    /// Accepts the connection, reads the request, never writes.
    case neverAnswer
    /// Sends a status line, then one byte every `interval` seconds, forever.
    case drip(interval: Double)
    /// Closes the connection right after reading the request.
    case closeConnection
    /// 200 with a body that is not JSON.
    case badJSON
}

/// One provider served by `ProviderSimulatorServer`.
public struct SimulatedProvider: Sendable {
    /// Unique name; also the URL path prefix (path-safe encoded).
    public var name: String
    /// The API family the provider speaks.
    public var kind: ProviderKind
    /// Model IDs its model list shows (Gemini lists them as `models/<id>`).
    public var models: [String]
    public var behaviour: SimulatedBehaviour
    /// Seconds added to every answer.
    public var extraLatency: Double
    /// When set, requests without this key in the kind's auth header get a 401.
    public var requiredKey: String?
    /// OpenRouter only: the credit left reported by `GET /key`; nil is an unlimited key.
    public var creditRemaining: Double?

    public init(
        name: String, kind: ProviderKind, models: [String], behaviour: SimulatedBehaviour = .healthy,
        extraLatency: Double = 0, requiredKey: String? = nil, creditRemaining: Double? = nil
    ) {
        self.name = name
        self.kind = kind
        self.models = models
        self.behaviour = behaviour
        self.extraLatency = extraLatency
        self.requiredKey = requiredKey
        self.creditRemaining = creditRemaining
    }
}
