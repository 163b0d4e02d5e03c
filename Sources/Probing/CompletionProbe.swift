import Foundation
import HealthCore

/// The opt-in minimal completion per model. It costs a few tokens; a completion cut off by its length
/// limit is a success (reasoning models spend small budgets on thinking).
enum CompletionProbe {
    /// Runs one completion per model, concurrently; returns a check per model name.
    static func run(_ models: [ModelSettings], context: ProbeContext) async throws -> [String: ProbeCheck] {
        try await withThrowingTaskGroup(of: (String, ProbeCheck).self) { group in
            for model in models {
                group.addTask {
                    guard let request = request(for: model, context: context) else {
                        return (model.name, .passed(statusCode: nil, latencySeconds: 0))
                    }
                    let result = try await context.send(request.url, method: "POST", body: request.body)
                    return (model.name, judge(result, kind: context.provider.kind, secrets: context.secrets))
                }
            }
            var checks: [String: ProbeCheck] = [:]
            for try await (model, check) in group { checks[model] = check }
            return checks
        }
    }

    /// The completion request of a provider kind; nil for kinds without one (HuggingFace).
    static func request(for model: ModelSettings, context: ProbeContext) -> (url: String, body: [UInt8])? {
        let maxTokens = max(1, model.maxTokens)
        let prompt = "ping"
        let payload: [String: Any]
        let url: String
        switch context.provider.kind {
        case .openai, .openrouter:
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
