/// The fuzzed entry points. The libFuzzer binaries (`fuzz/FuzzEntry.swift`, built by `scripts/fuzz.sh`) and the
/// corpus regression test both feed inputs through `check`, so the test replays exactly what the fuzzers ran.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// A configuration file: `parseConfiguration(yaml:filename:)`, and `GET /config`'s rendering of an accepted one.
    case config
    /// A `POST /api/v1/outcomes` request: `decodeOutcomes` then `checkBatch`.
    case outcomes
    /// A provider response's headers and body: `parseRateLimit(headers:body:statusCode:now:)`.
    case ratelimit
    /// A gateway's body: `decodeLiteLLMPayloads`, or `decodeOTLPTraces` in JSON or protobuf.
    case gateways

    /// Feeds one input and returns every broken invariant; empty when all hold.
    public func check(_ input: [UInt8]) -> [String] {
        switch self {
        case .config: checkConfigInput(input)
        case .outcomes: checkOutcomeInput(input)
        case .ratelimit: checkRateLimitInput(input)
        case .gateways: checkGatewayInput(input)
        }
    }
}
