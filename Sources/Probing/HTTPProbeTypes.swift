import HealthCore

/// One HTTP request a prober sends.
public struct HTTPProbeRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(String, String)]
    public var body: [UInt8]?
    /// Hard deadline for the whole exchange, seconds.
    public var timeoutSeconds: Double
    /// The provider's own proxy (its `proxy_url`, an `http://` URL); nil: the client's environment decides.
    public var proxyURL: String?

    public init(
        method: String = "GET", url: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
        timeoutSeconds: Double, proxyURL: String? = nil
    ) {
        self.proxyURL = proxyURL
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutSeconds = timeoutSeconds
    }
}

/// A complete HTTP response, whatever its status.
public struct HTTPProbeResponse: Sendable {
    public var statusCode: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(statusCode: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        self.statusCode = statusCode
        self.headers = headers
        self.body = body
    }
}

/// What one exchange produced: a response, or a transport failure. Latency covers the request only.
public enum HTTPProbeResult: Sendable {
    case response(HTTPProbeResponse, latencySeconds: Double)
    /// No usable response: the message is short and never contains request data.
    case failure(FailureReason, message: String, latencySeconds: Double)

    public var latencySeconds: Double {
        switch self {
        case .response(_, let latency), .failure(_, _, let latency): return latency
        }
    }

    public var response: HTTPProbeResponse? {
        if case .response(let response, _) = self { return response }
        return nil
    }
}
