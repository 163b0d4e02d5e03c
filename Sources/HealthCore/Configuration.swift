/// The configuration as plain values. Parsing (YAML, environment) lives in ExporterConfig.

/// The API family a provider speaks: only its name. What a kind means (authentication, endpoints, model list,
/// completion, error bodies, rate-limit headers) is its spec in Probing/Kinds, which also declares the name
/// (`ProviderKind.openai`, …) and registers it. OpenAI-compatible providers (Groq, Together, Mistral, DeepSeek,
/// Nvidia NIM, DashScope compatible mode, …) are `.openai` with their own base URL.
public struct ProviderKind: RawRepresentable, Sendable, Codable, Hashable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
}

/// A secret value. Its descriptions never show the value.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, Codable {
    public let value: String
    public init(_ value: String) { self.value = value }
    public var description: String { "<secret>" }
    public var debugDescription: String { "<secret>" }
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode("<secret>")
    }
    public init(from decoder: Decoder) throws {
        value = try decoder.singleValueContainer().decode(String.self)
    }
}

/// Where a provider's API key comes from.
public enum APIKeySource: Sendable, Hashable {
    case none
    case environment(String)
    case file(String)
    /// Inline in the config file; allowed, discouraged.
    case inline(Secret)
}

public struct ModelSettings: Sendable, Hashable {
    public var name: String
    /// max_tokens for the completion probe; reasoning models need more than 1.
    public var maxTokens: Int
    public init(name: String, maxTokens: Int = 1) {
        self.name = name
        self.maxTokens = maxTokens
    }
}

/// Thresholds that turn numbers into a status.
public struct StatusThresholds: Sendable, Hashable {
    /// Error rate above which a provider is degraded.
    public var errorRate: Double = 0.05
    /// p95 latency (seconds) of the probe's model-list check above which a provider is degraded.
    public var p95LatencySeconds: Double = 1.0
    /// p95 latency (seconds) of the opt-in completion probe above which a provider is degraded.
    public var completionP95LatencySeconds: Double = 10
    /// Remaining rate-limit ratio below which a provider is rate_limited.
    public var rateLimitRemainingRatio: Double = 0.10
    public init() {}

    /// The p95 threshold of a probe operation; nil for operations whose latency no threshold judges (traffic
    /// latency depends on what the gateway's users ask for).
    public func p95LatencySeconds(of operation: OperationName) -> Double? {
        switch operation {
        case .listModels: return p95LatencySeconds
        case .chat: return completionP95LatencySeconds
        case .textCompletion, .embeddings, .generateContent: return nil
        }
    }
}

/// Weights and bounds of the composite health score.
public struct ScoreSettings: Sendable, Hashable {
    public var availabilityWeight: Double = 0.4
    public var errorRateWeight: Double = 0.3
    public var latencyWeight: Double = 0.3
    /// Latency score is 1 at or below this (seconds).
    public var latencyGoodSeconds: Double = 2
    /// Latency score is 0 at or above this (seconds).
    public var latencyBadSeconds: Double = 10
    public init() {}
}

public struct BreakerSettings: Sendable, Hashable {
    /// Consecutive failures that open the breaker.
    public var failureThreshold: Int = 5
    /// Seconds an open breaker waits before half-open.
    public var openSeconds: Double = 60
    /// Consecutive successes in half-open that close it.
    public var successThreshold: Int = 3
    public init() {}
}

public struct ProviderSettings: Sendable, Hashable {
    public var name: String
    public var kind: ProviderKind
    public var baseURL: String
    public var apiKey: APIKeySource
    /// Extra headers sent with every probe (e.g. OpenRouter's HTTP-Referer, X-Title).
    public var headers: [String: String]
    public var models: [ModelSettings]
    /// Seconds between probes.
    public var intervalSeconds: Double
    /// Hard deadline per probe request, seconds.
    public var timeoutSeconds: Double
    /// Probe start is delayed by a random 0...jitter seconds each cycle.
    public var jitterSeconds: Double
    /// Opt-in: a minimal completion per model (costs a little). The configuration parser clears it for a kind
    /// without a completion request (HuggingFace).
    public var completionProbe: Bool
    /// Probe budget: at most this many probe requests per hour.
    public var maxProbesPerHour: Int
    public var thresholds: StatusThresholds
    public var breaker: BreakerSettings
    /// Settings only one kind takes, by their configuration key (azure's `api_version`, bedrock's `region`).
    /// Never secrets: names of files and profiles, versions, regions, URLs.
    public var kindOptions: [String: String]
    /// False for a provider known only from a gateway's traffic: the exporter never probes it.
    public var probed: Bool = true
    /// The HTTP proxy this provider's probes go through (`proxy_url`), overriding `HTTPS_PROXY`/`HTTP_PROXY`/
    /// `NO_PROXY`; nil: the environment decides. A secret as a whole, since its URL may carry a password.
    public var proxyURL: Secret?
    /// Other names a gateway reports for this provider (LiteLLM's `custom_llm_provider` or `model_group`,
    /// OpenTelemetry's `gen_ai.provider.name`): its traffic is recorded under this provider.
    public var aliases: [String] = []

    public init(
        name: String, kind: ProviderKind, baseURL: String, apiKey: APIKeySource = .none,
        headers: [String: String] = [:], models: [ModelSettings] = [], intervalSeconds: Double = 60,
        timeoutSeconds: Double = 10, jitterSeconds: Double = 5, completionProbe: Bool = false,
        maxProbesPerHour: Int = 600, thresholds: StatusThresholds = StatusThresholds(),
        breaker: BreakerSettings = BreakerSettings(), kindOptions: [String: String] = [:]
    ) {
        self.name = name
        self.kind = kind
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.headers = headers
        self.models = models
        self.intervalSeconds = intervalSeconds
        self.timeoutSeconds = timeoutSeconds
        self.jitterSeconds = jitterSeconds
        self.completionProbe = completionProbe
        self.maxProbesPerHour = maxProbesPerHour
        self.thresholds = thresholds
        self.breaker = breaker
        self.kindOptions = kindOptions
    }

    /// The model names results are recorded under (`*` when none are configured).
    public var modelNames: [String] { models.isEmpty ? [wholeAPIModelName] : models.map(\.name) }

    /// What a probe of this provider does: the free check, and a completion per model when that is on.
    public var probeOperations: [OperationName] {
        guard probed else { return [] }
        return completionProbe && !models.isEmpty ? [.listModels, .chat] : [.listModels]
    }

    /// A provider the configuration does not name, tracked from a gateway's traffic alone
    /// (`--ingest.accept-unknown-providers`) until the next reload: never probed, default thresholds, its models
    /// as the traffic reports them. Its kind names where its results came from; no prober is made for it.
    public static func knownFromTraffic(_ name: String) -> ProviderSettings {
        var settings = ProviderSettings(name: name, kind: ProviderKind(rawValue: "traffic"), baseURL: "")
        settings.probed = false
        return settings
    }

    /// Seconds between probes as the budget allows them: the interval, or wider when `max_probes_per_hour`
    /// cannot pay for a probe (its check plus a completion per model) every interval.
    public var probeSpacingSeconds: Double {
        let requestsPerProbe = probeOperations.contains(.chat) ? 1 + models.count : 1
        return max(intervalSeconds, 3600 * Double(requestsPerProbe) / Double(max(1, maxProbesPerHour)))
    }
}

public struct GlobalSettings: Sendable, Hashable {
    /// Seconds between aggregation cycles.
    public var aggregationIntervalSeconds: Double = 30
    /// Sliding window length, seconds.
    public var windowSeconds: Double = 300
    /// Histogram buckets (seconds) for response times: the OpenTelemetry GenAI boundaries for
    /// `gen_ai.client.operation.duration`, 10 ms to 82 s, so that a minute-long completion lands in a finite bucket.
    public var latencyBuckets: [Double] = [
        0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
    ]
    /// Whether the per-model histogram is exported.
    public var modelHistograms: Bool = true
    /// At most this many probe requests in flight across all providers.
    public var probeConcurrency: Int = 64
    /// Weights and bounds of the health score.
    public var score: ScoreSettings = ScoreSettings()
    /// Cycles a new status must be what the rules say before it is reported (`down` and `unauthorized` are
    /// reported at once).
    public var statusHoldCycles: Int = 2
    public init() {}
}

public struct ExporterConfiguration: Sendable, Hashable {
    public var global: GlobalSettings
    public var providers: [ProviderSettings]
    public init(global: GlobalSettings = GlobalSettings(), providers: [ProviderSettings] = []) {
        self.global = global
        self.providers = providers
    }
}
