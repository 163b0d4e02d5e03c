import Foundation
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

    /// One model's completion. For OpenAI-compatible APIs, a 400 refusing the token-limit field by name gets
    /// one more request with the other field, and the field that worked is remembered for the next probes.
    /// At most two requests: a second refusal is the model's failure, judged like any other answer.
    static func complete(_ model: ModelSettings, context: ProbeContext) async throws -> ProbeCheck {
        let field = tokenLimitField(for: model, context: context)
        guard let request = request(for: model, context: context, tokenLimitField: field) else {
            return .passed(statusCode: nil, latencySeconds: 0)
        }
        let result = try await context.send(request.url, method: "POST", body: request.body)
        guard context.provider.kind == .openai, let response = result.response, field.isRefused(by: response),
            let retry = self.request(for: model, context: context, tokenLimitField: field.other)
        else {
            return judge(result, kind: context.provider.kind, secrets: context.secrets)
        }
        let retried = try await context.send(retry.url, method: "POST", body: retry.body)
        if let status = retried.response?.statusCode, (200..<300).contains(status) {
            context.client.tokenLimitFields.remember(field.other, for: memoryKey(model, context: context))
        }
        // The check (and its latency) is the retried exchange's: the refused one said nothing about the model.
        return judge(retried, kind: context.provider.kind, secrets: context.secrets)
    }

    /// For OpenAI-compatible APIs, the field that worked before for this provider and model, else the one its
    /// name predicts. OpenRouter takes `max_tokens` for every model (it translates it), as do the other kinds
    /// in their own fields.
    static func tokenLimitField(for model: ModelSettings, context: ProbeContext) -> TokenLimitField {
        guard context.provider.kind == .openai else { return .maxTokens }
        return context.client.tokenLimitFields.field(for: memoryKey(model, context: context))
            ?? TokenLimitField.predicted(for: model.name)
    }

    private static func memoryKey(_ model: ModelSettings, context: ProbeContext) -> TokenLimitFieldMemory.Key {
        TokenLimitFieldMemory.Key(provider: context.provider.name, baseURL: context.provider.baseURL, model: model.name)
    }

    /// The completion request of a provider kind, the OpenAI-compatible one with the field `tokenLimitField`
    /// (by default the remembered or predicted one); nil for kinds without one (HuggingFace).
    static func request(
        for model: ModelSettings, context: ProbeContext, tokenLimitField: TokenLimitField? = nil
    ) -> (url: String, body: [UInt8])? {
        let maxTokens = max(1, model.maxTokens)
        let prompt = "ping"
        let payload: [String: Any]
        let url: String
        switch context.provider.kind {
        case .openai:
            url = context.url("/chat/completions")
            let field = tokenLimitField ?? self.tokenLimitField(for: model, context: context)
            payload = [
                "model": model.name, field.rawValue: maxTokens,
                "messages": [["role": "user", "content": prompt]],
            ]
        case .openrouter:
            url = context.url("/chat/completions")
            payload = [
                "model": model.name, "max_tokens": maxTokens,
                "messages": [["role": "user", "content": prompt]],
            ]
        case .anthropic:
            url = context.url("/v1/messages")
            payload = [
                "model": model.name, "max_tokens": maxTokens,
                "messages": [["role": "user", "content": prompt]],
            ]
        case .gemini:
            let id = ModelCatalog.normalized(model.name, kind: .gemini)
            url = context.url("/v1beta/models/\(percentEncoded(id)):generateContent")
            payload = [
                "contents": [["role": "user", "parts": [["text": prompt]]]],
                "generationConfig": ["maxOutputTokens": maxTokens],
            ]
        case .ollama:
            url = context.url("/api/generate")
            payload = [
                "model": model.name, "prompt": prompt, "stream": false, "options": ["num_predict": maxTokens],
            ]
        case .huggingface:
            return nil
        }
        guard let body = try? JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys]) else {
            return nil
        }
        return (url, [UInt8](body))
    }

    /// 2xx with the kind's completion shape is a success, whatever the finish reason.
    static func judge(_ result: HTTPProbeResult, kind: ProviderKind, secrets: [String]) -> ProbeCheck {
        let check = ProbeCheck.judging(result, secrets: secrets)
        guard check.success, let response = result.response else { return check }
        guard let object = ModelListParsing.object(response.body) else {
            return check.unusable("completion answer is not valid JSON")
        }
        let field: String
        switch kind {
        case .openai, .openrouter: field = "choices"
        case .anthropic: field = "content"
        case .gemini: field = "candidates"
        case .ollama: field = "response"
        case .huggingface: return check
        }
        guard object[field] != nil else {
            if let message = providerErrorMessage(response.body) {
                return check.unusable("completion failed: " + redact(message, secrets: secrets, maxLength: 120))
            }
            return check.unusable("completion answer has no \(field)")
        }
        return check
    }
}
