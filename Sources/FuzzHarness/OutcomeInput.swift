import HealthCore
import OutcomeIngest

/// The clock the outcome inputs are decoded against (Unix seconds).
public let fuzzOutcomeNow = 1_750_000_000.0

/// Providers the batch check knows, and the models they already have.
let knownProviders: Set<String> = ["openai", "anthropic", "groq"]
let knownModels: [String: Set<String>] = ["openai": ["gpt-4o-mini", "gpt-4o"], "anthropic": ["claude-3-5-haiku"]]

/// Decodes one `POST /api/v1/outcomes` body and checks the batch, as the ingest route does, and returns every
/// broken invariant (empty when all hold).
///
/// The first byte chooses how: bit 0 the Content-Type (NDJSON, or none so the body decides), bit 1 tight limits
/// (so the caps are reached), bit 2 whether unknown providers are accepted. The rest is the body.
/// Either the batch is accepted and every outcome is a sane traffic result, or it is refused with a 4xx whose
/// reason is a counter label and whose detail is one bounded line.
public func checkOutcomeInput(_ input: [UInt8]) -> [String] {
    let mode = input.first ?? 0
    let body = Array(input.dropFirst())
    var limits = IngestLimits()
    if mode & 2 != 0 {
        limits = IngestLimits(maxBodyBytes: 2048, maxBatchSize: 4, maxModelsPerProvider: 3, acceptUnknownProviders: false)
    }
    limits.acceptUnknownProviders = mode & 4 != 0
    let contentType = mode & 1 != 0 ? "application/x-ndjson; charset=utf-8" : nil
    let format = OutcomeFormat.detect(contentType: contentType, body: body)

    var problems: [String] = []
    let results: [ModelResult]
    do {
        results = try decodeOutcomes(body, format: format, limits: limits, now: fuzzOutcomeNow)
    } catch {
        return rejectionProblems(error, allowed: ["malformed", "invalid", "body_too_large", "batch_too_large"])
    }
    problems += acceptedOutcomeProblems(results, limits: limits)
    // Decoding is a pure function of the body.
    do {
        let again = try decodeOutcomes(body, format: format, limits: limits, now: fuzzOutcomeNow)
        if again != results { problems.append("decoding the same body twice gave different outcomes") }
    } catch {
        problems.append("decoding the same body twice: accepted, then refused with \(error)")
    }
    do {
        try checkBatch(results, knownProviders: knownProviders, modelsPerProvider: knownModels, limits: limits)
        if !limits.acceptUnknownProviders, let unknown = results.first(where: { !knownProviders.contains($0.provider) }) {
            problems.append("batch check let the unknown provider \(String(reflecting: unknown.provider)) through")
        }
        var models = knownModels
        for result in results { models[result.provider, default: []].insert(result.model) }
        for (provider, names) in models where names.count > limits.maxModelsPerProvider {
            problems.append("batch check let \(provider) have \(names.count) models, over the limit")
        }
    } catch {
        problems += rejectionProblems(error, allowed: ["unknown_provider", "too_many_models"])
    }
    return problems
}

func rejectionProblems(_ rejection: IngestRejection, allowed: Set<String>) -> [String] {
    var problems: [String] = []
    let shown = String(reflecting: rejection.description.prefix(500))
    if !(400..<500).contains(rejection.status) { problems.append("status \(rejection.status): \(shown)") }
    if !allowed.contains(rejection.reason) || !IngestRejection.reasons.contains(rejection.reason) {
        problems.append("unexpected reason \(rejection.reason): \(shown)")
    }
    if rejection.detail.isEmpty { problems.append("rejection without a detail: \(shown)") }
    if rejection.detail.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
        problems.append("detail holds control characters: \(shown)")
    }
    if rejection.detail.utf8.count > 2048 {
        problems.append("detail of \(rejection.detail.utf8.count) bytes: \(shown)")
    }
    return problems
}

func acceptedOutcomeProblems(_ results: [ModelResult], limits: IngestLimits) -> [String] {
    var problems: [String] = []
    if results.count > limits.maxBatchSize { problems.append("\(results.count) outcomes, over the batch limit") }
    for (index, result) in results.enumerated() {
        func fail(_ what: String) { problems.append("outcome \(index): \(what)") }
        if result.source != .traffic { fail("source \(result.source)") }
        if result.provider.isEmpty || result.provider.utf8.count > 256 { fail("provider of \(result.provider.utf8.count) bytes") }
        if result.model.isEmpty || result.model.utf8.count > 256 { fail("model of \(result.model.utf8.count) bytes") }
        if !(result.latencySeconds.isFinite && result.latencySeconds >= 0) { fail("latency \(result.latencySeconds)") }
        if result.latencySeconds.sign == .minus { fail("latency -0") }
        if !(fuzzOutcomeNow - 3600...fuzzOutcomeNow + 300).contains(result.timestamp) {
            fail("timestamp \(result.timestamp) outside the accepted hour")
        }
        if let status = result.statusCode, !(100...599).contains(status) { fail("status_code \(status)") }
        if result.success != (result.reason == nil) { fail("success \(result.success) with reason \(String(describing: result.reason))") }
        if let error = result.error {
            if error.unicodeScalars.count > 200 { fail("error text of \(error.unicodeScalars.count) characters") }
            if error.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                fail("error text holds control characters")
            }
        }
    }
    return problems
}
