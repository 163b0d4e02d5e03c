import Foundation
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
    problems += strictnessProblems(body, format: format, count: results.count)
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

/// The decoder is strict: what it accepts, Foundation's JSON parser must accept too, with as many objects.
///
/// JSON sets no range on numbers, and the decoder passes over unknown fields of any size, but Foundation refuses
/// numbers a Double cannot hold: bodies with one (an exponent of three digits or more, or hundreds of digits in
/// a row) are left out of the comparison.
func strictnessProblems(_ body: [UInt8], format: OutcomeFormat, count: Int) -> [String] {
    if mayHoldNumberOutOfDoubleRange(body) { return [] }
    let start = body.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    let text = body[start...]
    func objects(_ bytes: ArraySlice<UInt8>) -> [Any]? {
        guard let value = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) else {
            return nil
        }
        return format == .jsonArray ? value as? [Any] : [value]
    }
    var parsed: [Any] = []
    switch format {
    case .jsonArray:
        if text.allSatisfy(isJSONWhitespace) { return [] }
        guard let array = objects(text) else { return ["accepted an array Foundation cannot parse"] }
        parsed = array
    case .ndjson:
        for (number, line) in text.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated()
        where !line.allSatisfy(isJSONWhitespace) {
            guard let object = objects(line) else { return ["accepted line \(number + 1), Foundation cannot parse it"] }
            parsed += object
        }
    }
    if parsed.count != count { return ["\(count) outcomes from \(parsed.count) JSON values"] }
    if !parsed.allSatisfy({ $0 is [String: Any] }) { return ["accepted a value that is not an object"] }
    return []
}

private func isJSONWhitespace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
}

private func mayHoldNumberOutOfDoubleRange(_ body: [UInt8]) -> Bool {
    var digitsInARow = 0
    var index = 0
    while index < body.count {
        let byte = body[index]
        if byte >= 0x30 && byte <= 0x39 {
            digitsInARow += 1
            if digitsInARow >= 300 { return true }
        } else {
            digitsInARow = 0
        }
        if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            var next = index + 1
            if next < body.count, body[next] == UInt8(ascii: "+") || body[next] == UInt8(ascii: "-") { next += 1 }
            var exponentDigits = 0
            while next + exponentDigits < body.count, (0x30...0x39).contains(body[next + exponentDigits]) {
                exponentDigits += 1
            }
            if exponentDigits >= 3 { return true }
        }
        index += 1
    }
    return false
}
