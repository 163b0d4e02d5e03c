#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HealthCore

/// The opt-in minimal completion per model. It costs a few tokens; a completion cut off by its length
/// limit is a success (reasoning models spend small budgets on thinking).
enum CompletionProbe {
    /// Runs one completion per model, concurrently; returns a check per model name.
    static func run(_ models: [ModelSettings], context: ProbeContext) async throws -> [String: ProbeCheck] {
        try await withThrowingTaskGroup(of: (String, ProbeCheck).self) { group in
            for model in models {
                group.addTask { (model.name, try await complete(model, context: context)) }
            }
            var checks: [String: ProbeCheck] = [:]
            for try await (model, check) in group { checks[model] = check }
            return checks
        }
    }

    /// One model's completion. For kinds whose servers disagree on the token-limit field (OpenAI-compatible,
    /// Azure), a 400 refusing the field by name gets one more request with the other field, and the field that
    /// worked is remembered for the next probes. At most two requests: a second refusal is the model's failure,
    /// judged like any other answer.
    static func complete(_ model: ModelSettings, context: ProbeContext) async throws -> ProbeCheck {
        let field = tokenLimitField(for: model, context: context)
        guard let request = request(for: model, context: context, tokenLimitField: field) else {
            return .passed(statusCode: nil, latencySeconds: 0)
        }
        let result = try await context.send(request.url, method: request.method, body: request.body)
        guard context.spec.learnsTokenLimitField, let response = result.response, field.isRefused(by: response),
            let retry = self.request(for: model, context: context, tokenLimitField: field.other)
        else {
            return judge(result, context: context)
        }
        let retried = try await context.send(retry.url, method: retry.method, body: retry.body)
        if let status = retried.response?.statusCode, (200..<300).contains(status) {
            context.client.tokenLimitFields.remember(field.other, for: memoryKey(model, context: context))
        }
        // The check (and its latency) is the retried exchange's: the refused one said nothing about the model.
        return judge(retried, context: context)
    }

    /// For kinds that learn it, the field that worked before for this provider and model, else the one its name
    /// predicts. Other kinds take `max_tokens` for every model (OpenRouter translates it), or their own field.
    static func tokenLimitField(for model: ModelSettings, context: ProbeContext) -> TokenLimitField {
        guard context.spec.learnsTokenLimitField else { return .maxTokens }
        return context.client.tokenLimitFields.field(for: memoryKey(model, context: context))
            ?? TokenLimitField.predicted(for: model.name)
    }

    private static func memoryKey(_ model: ModelSettings, context: ProbeContext) -> TokenLimitFieldMemory.Key {
        TokenLimitFieldMemory.Key(provider: context.provider.name, baseURL: context.provider.baseURL, model: model.name)
    }

    /// The kind's completion request with the field `tokenLimitField` (by default the remembered or predicted
    /// one); nil for kinds without one (HuggingFace).
    static func request(
        for model: ModelSettings, context: ProbeContext, tokenLimitField: TokenLimitField? = nil
    ) -> (url: String, method: String, body: [UInt8])? {
        let field = tokenLimitField ?? self.tokenLimitField(for: model, context: context)
        guard
            let request = context.spec.completionRequest(
                for: model.name, maxTokens: max(1, model.maxTokens), tokenLimitField: field,
                provider: context.provider)
        else { return nil }
        return (request.url, request.method, JSONText.encode(request.payload))
    }

    /// 2xx with the kind's completion shape is a success, whatever the finish reason.
    static func judge(_ result: HTTPProbeResult, context: ProbeContext) -> ProbeCheck {
        let check = context.check(result)
        guard check.success, let response = result.response, let field = context.spec.completionAnswerField else {
            return check
        }
        guard let object = ModelListParsing.object(response.body) else {
            return check.unusable("completion answer is not valid JSON")
        }
        guard object[field] != nil else {
            if let message = context.spec.errorMessage(response.body) {
                return check.unusable("completion failed: " + redact(message, secrets: context.secrets, maxLength: 120))
            }
            return check.unusable("completion answer has no \(field)")
        }
        return check
    }
}
