import HealthCore
import OutcomeIngest

/// Decodes one body a gateway sends — LiteLLM's logging payloads (`?format=litellm`) or an OTLP trace export, in
/// JSON or protobuf (`/v1/traces`) — and returns every broken invariant (empty when all hold).
///
/// The first byte chooses how: its value modulo 3 the decoder (LiteLLM, OTLP JSON, OTLP protobuf), bit 2 tight
/// limits (so the caps are reached). The rest is the body. Either the body is refused with a 4xx whose reason is a
/// counter label and whose detail is one bounded line, or every call it gave is sane; decoding is a pure function
/// of the body.
public func checkGatewayInput(_ input: [UInt8]) -> [String] {
    let mode = input.first ?? 0
    let body = Array(input.dropFirst())
    var limits = IngestLimits()
    if mode & 4 != 0 {
        limits = IngestLimits(maxBodyBytes: 4096, maxBatchSize: 4, maxModelsPerProvider: 3, acceptUnknownProviders: false)
    }
    let isLiteLLM = mode % 3 == 0
    func decode() throws(IngestRejection) -> [GatewayCall] {
        switch mode % 3 {
        case 0: try decodeLiteLLMPayloads(body, limits: limits, now: fuzzOutcomeNow)
        case 1: try decodeOTLPTraces(body, encoding: .json, limits: limits).calls
        default: try decodeOTLPTraces(body, encoding: .protobuf, limits: limits).calls
        }
    }
    let calls: [GatewayCall]
    do {
        calls = try decode()
    } catch {
        return rejectionProblems(error, allowed: ["malformed", "invalid", "body_too_large", "batch_too_large"])
    }
    var problems: [String] = []
    if calls.count > limits.maxBatchSize { problems.append("\(calls.count) calls, over the batch limit") }
    for (index, call) in calls.enumerated() {
        func fail(_ what: String) { problems.append("call \(index): \(what)") }
        if call.model.isEmpty || call.model.utf8.count > 256 { fail("model of \(call.model.utf8.count) bytes") }
        for (field, name) in [("provider", call.route.provider), ("group", call.route.group), ("endpoint", call.route.endpoint)] {
            guard let name else { continue }
            if name.isEmpty || name.utf8.count > 2048 { fail("\(field) of \(name.utf8.count) bytes") }
        }
        if let endpoint = call.route.endpoint {
            let afterScheme = endpoint.range(of: "://").map { endpoint[$0.upperBound...] } ?? endpoint[...]
            let authority = afterScheme.prefix { $0 != "/" }
            if authority.contains("@") || endpoint.contains("?") || endpoint.contains("#") {
                fail("endpoint keeps user info, a query or a fragment: \(String(reflecting: endpoint.prefix(200)))")
            }
        }
        if !(call.latencySeconds.isFinite && call.latencySeconds >= 0) { fail("latency \(call.latencySeconds)") }
        if let first = call.timeToFirstTokenSeconds, !(first.isFinite && first >= 0) { fail("time to first token \(first)") }
        if !call.timestamp.isFinite { fail("timestamp \(call.timestamp)") }
        if isLiteLLM, !(fuzzOutcomeNow - 3600...fuzzOutcomeNow + 300).contains(call.timestamp) {
            fail("timestamp \(call.timestamp) outside the accepted hour")
        }
        if let status = call.statusCode, !(100...599).contains(status) { fail("status \(status)") }
        if call.success, call.reason != nil || call.refusedByGateway { fail("a success with a failure's reason") }
        if !call.success, call.reason == nil { fail("a failure without a reason") }
        if let label = call.errorLabel,
            label.utf8.count > 64 || label.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        {
            fail("error label \(String(reflecting: label.prefix(100)))")
        }
    }
    do {
        if try decode() != calls { problems.append("decoding the same body twice gave different calls") }
    } catch {
        problems.append("decoding the same body twice: accepted, then refused with \(error)")
    }
    return problems
}
