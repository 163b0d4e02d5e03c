/// Where a result came from: the exporter's own probe, or a gateway's real traffic.
public enum ResultSource: String, Sendable, CaseIterable, Codable, Hashable {
    case probe
    case traffic
}

/// What a request did: the `operation` label of the latency histograms, so that a quantile never mixes a
/// 100 ms model listing with a 30 s completion. Names follow the OpenTelemetry GenAI `gen_ai.operation.name`
/// values where one exists.
public enum OperationName: String, Sendable, CaseIterable, Codable, Hashable {
    /// The probe's free check request: the model list (HuggingFace: whoami).
    case listModels = "list_models"
    /// A chat completion: the opt-in completion probe, and gateway traffic unless it says otherwise.
    case chat
    case textCompletion = "text_completion"
    case embeddings
    case generateContent = "generate_content"

    /// Whether the operation says something about one model (the model list request is the provider's).
    public var isPerModel: Bool { self != .listModels }
}

/// Rate-limit state as reported by a provider's response headers (or body, for Gemini).
public struct RateLimitSnapshot: Sendable, Equatable, Codable {
    public var requestsRemaining: Double?
    public var requestsLimit: Double?
    public var tokensRemaining: Double?
    public var tokensLimit: Double?
    /// Seconds until the request budget resets, when the provider says.
    public var requestsResetSeconds: Double?
    /// Seconds until the token budget resets, when the provider says.
    public var tokensResetSeconds: Double?
    /// Seconds the provider asked us to wait (retry-after, Gemini retryDelay).
    public var retryAfterSeconds: Double?

    public init(
        requestsRemaining: Double? = nil, requestsLimit: Double? = nil,
        tokensRemaining: Double? = nil, tokensLimit: Double? = nil,
        requestsResetSeconds: Double? = nil, tokensResetSeconds: Double? = nil,
        retryAfterSeconds: Double? = nil
    ) {
        self.requestsRemaining = requestsRemaining
        self.requestsLimit = requestsLimit
        self.tokensRemaining = tokensRemaining
        self.tokensLimit = tokensLimit
        self.requestsResetSeconds = requestsResetSeconds
        self.tokensResetSeconds = tokensResetSeconds
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var isEmpty: Bool { self == RateLimitSnapshot() }

    /// remaining / limit for requests, clamped to 0...1; nil when either is unknown.
    public var requestsRemainingRatio: Double? { Self.ratio(requestsRemaining, requestsLimit) }
    /// remaining / limit for tokens, clamped to 0...1; nil when either is unknown.
    public var tokensRemainingRatio: Double? { Self.ratio(tokensRemaining, tokensLimit) }

    /// The lowest known remaining ratio, nil when none is known.
    public var lowestRemainingRatio: Double? {
        [requestsRemainingRatio, tokensRemainingRatio].compactMap { $0 }.min()
    }

    static func ratio(_ remaining: Double?, _ limit: Double?) -> Double? {
        guard let remaining, let limit, limit > 0 else { return nil }
        return min(1, max(0, remaining / limit))
    }
}

/// One observation for one model: the unit everything is aggregated from.
public struct ModelResult: Sendable, Equatable, Codable {
    public var provider: String
    public var model: String
    public var success: Bool
    public var reason: FailureReason?
    public var latencySeconds: Double
    public var statusCode: Int?
    public var source: ResultSource
    public var operation: OperationName
    /// Unix time, seconds.
    public var timestamp: Double
    /// Short human-readable error. Never contains a secret.
    public var error: String?
    /// Seconds from the request to the first streamed token, when a gateway measured it.
    public var timeToFirstTokenSeconds: Double?

    /// `operation` defaults to the model-list check for probes and to a chat completion for traffic.
    public init(
        provider: String, model: String, success: Bool, reason: FailureReason? = nil,
        latencySeconds: Double, statusCode: Int? = nil, source: ResultSource = .probe,
        operation: OperationName? = nil, timestamp: Double, error: String? = nil,
        timeToFirstTokenSeconds: Double? = nil
    ) {
        self.provider = provider
        self.model = model
        self.success = success
        self.reason = success ? nil : (reason ?? .badResponse)
        self.latencySeconds = latencySeconds
        self.statusCode = statusCode
        self.source = source
        self.operation = operation ?? (source == .probe ? .listModels : .chat)
        self.timestamp = timestamp
        self.error = error
        self.timeToFirstTokenSeconds = timeToFirstTokenSeconds
    }
}

/// What one probe of one provider produced: the per-model results plus what the request said about
/// the provider itself (for the breaker, the rate-limit gauges and the probe budget).
public struct ProbeOutcome: Sendable, Equatable {
    public var provider: String
    /// Per-model results; for a provider without configured models, one result for the model `*`.
    public var results: [ModelResult]
    /// Whether the provider answered properly (feeds the circuit breaker).
    public var providerReachable: Bool
    /// Failure of the provider-level request, if any.
    public var reason: FailureReason?
    public var statusCode: Int?
    public var rateLimit: RateLimitSnapshot?
    /// HTTP requests this probe sent (they spend the provider's quota).
    public var requestsSent: Int
    /// Seconds the provider-level check request took (the model list, HuggingFace's whoami); nil when none was
    /// sent. With completion probes on, the models' results are their completions, so this is the only
    /// measure of the check.
    public var checkLatencySeconds: Double?
    /// Unix time the probe started.
    public var timestamp: Double
    public var error: String?

    public init(
        provider: String, results: [ModelResult], providerReachable: Bool, reason: FailureReason? = nil,
        statusCode: Int? = nil, rateLimit: RateLimitSnapshot? = nil, requestsSent: Int,
        checkLatencySeconds: Double? = nil, timestamp: Double, error: String? = nil
    ) {
        self.provider = provider
        self.results = results
        self.providerReachable = providerReachable
        self.reason = reason
        self.statusCode = statusCode
        self.rateLimit = rateLimit
        self.requestsSent = requestsSent
        self.checkLatencySeconds = checkLatencySeconds
        self.timestamp = timestamp
        self.error = error
    }
}

/// The model name used for a provider monitored without a model list: its API as a whole.
public let wholeAPIModelName = "*"
