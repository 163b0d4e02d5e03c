import HealthCore

/// One call as a gateway reported it (a LiteLLM logging payload, an OpenTelemetry GenAI span), reduced to what a
/// provider's health needs. Prompts, responses, user ids, keys and error messages are never copied into it: the
/// decoders read those fields past without keeping them.
public struct GatewayCall: Sendable, Equatable {
    /// Where the gateway says the call went; `TrafficRoutes` maps it to a configured provider.
    public var route: ReportedRoute
    public var model: String
    public var operation: OperationName
    public var success: Bool
    /// The provider's HTTP status, when the gateway reports one.
    public var statusCode: Int?
    /// Why it failed (nil for a success).
    public var reason: FailureReason?
    /// The gateway refused the call itself (its own rate limit or budget): it never reached the provider, so it
    /// says nothing about it and is not recorded.
    public var refusedByGateway: Bool
    public var latencySeconds: Double
    /// From the request to the first streamed token, when the gateway measured it.
    public var timeToFirstTokenSeconds: Double?
    /// Unix seconds: when the call started.
    public var timestamp: Double
    /// A short name for the failure — an error class or code (`RateLimitError`, `500`) — never the message text,
    /// which can quote the prompt.
    public var errorLabel: String?

    public init(
        route: ReportedRoute, model: String, operation: OperationName = .chat, success: Bool,
        statusCode: Int? = nil, reason: FailureReason? = nil, refusedByGateway: Bool = false,
        latencySeconds: Double, timeToFirstTokenSeconds: Double? = nil, timestamp: Double, errorLabel: String? = nil
    ) {
        self.route = route
        self.model = model
        self.operation = operation
        self.success = success
        self.statusCode = statusCode
        self.reason = success ? nil : (reason ?? .badResponse)
        self.refusedByGateway = refusedByGateway
        self.latencySeconds = latencySeconds
        self.timeToFirstTokenSeconds = timeToFirstTokenSeconds
        self.timestamp = timestamp
        self.errorLabel = errorLabel
    }
}

/// What a gateway says about the provider a call went to. Any part may be missing.
public struct ReportedRoute: Sendable, Hashable {
    /// The gateway's name for the provider: LiteLLM's `custom_llm_provider`, OpenTelemetry's `gen_ai.provider.name`
    /// (`gen_ai.system` before semantic conventions 1.37).
    public var provider: String?
    /// LiteLLM's `model_group`: the public model name a deployment serves.
    public var group: String?
    /// The endpoint called: LiteLLM's `api_base`, OpenTelemetry's `server.address` and `server.port`, as a URL or
    /// `host[:port]`.
    public var endpoint: String?

    public init(provider: String? = nil, group: String? = nil, endpoint: String? = nil) {
        self.provider = provider
        self.group = group
        self.endpoint = endpoint
    }
}
