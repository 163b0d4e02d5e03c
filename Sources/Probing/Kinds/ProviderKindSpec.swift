#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HealthCore

/// Everything one provider kind means, in one place: how its requests prove who sends them, where its API is,
/// how its model list is asked for and read, how a configured model name matches a listed one, what its
/// completion request looks like and which answer field proves it worked, how its error bodies refine the HTTP
/// status, and which rate-limit headers it sends. One type per kind in Probing/Kinds; `ProviderKinds` is the
/// registry. Defaults below are the OpenAI shape; a kind overrides what differs.
protocol ProviderKindSpec: Sendable {
    var kind: ProviderKind { get }

    // MARK: configuration

    /// Configuration keys only this kind takes (azure's `api_version`, bedrock's `region`).
    var settings: [KindSetting] { get }
    /// Whether the kind authenticates with an API key (`api_key_env`, `api_key_file`, `api_key`).
    var takesAPIKey: Bool { get }
    /// The endpoint when `base_url` is left out, from the kind's settings (defaults applied); nil when there is
    /// none to guess (an Azure resource has its own name).
    func defaultBaseURL(options: [String: String]) -> String?

    // MARK: authentication

    /// Headers every request carries before the configured ones, which override them (OpenRouter's attribution).
    var defaultHeaders: [(String, String)] { get }
    /// What this probe's requests authenticate with, resolved once per probe. Throws when a credential is
    /// missing or unreadable: the probe then sends nothing and reports `auth`.
    func credentials(
        for provider: ProviderSettings, apiKey: Secret?, environment: [String: String]
    ) throws(CredentialError) -> ProbeCredentials

    // MARK: model list

    /// The model-list request for the page after `cursor` (nil: the first page).
    func modelListRequest(after cursor: String?, provider: ProviderSettings) -> (path: String, query: [(String, String)])
    /// The IDs on one page of the model list and the cursor of the next; nil when the body is not the kind's shape.
    func modelListPage(_ body: [UInt8]) -> ModelListPage?
    /// Whether the list names the configured models. Azure lists base models, while its models are your
    /// deployments: there only the completion probe can tell a missing one.
    var listNamesConfiguredModels: Bool { get }
    /// A listed or configured model name as the two are compared (Gemini's optional `models/` prefix).
    func normalizedModelName(_ name: String) -> String
    /// The listed names that stand for a configured (normalised) name: itself, and Ollama's `:latest` for an
    /// untagged one.
    func listedNames(for configured: String) -> [String]

    // MARK: completion

    /// The field of a 2xx completion answer that proves a completion came back; nil for a kind without a
    /// completion request (the opt-in completion probe does not apply).
    var completionAnswerField: String? { get }
    /// Whether the token-limit field of the completion is learned per model (OpenAI-compatible servers
    /// disagree on `max_tokens` and `max_completion_tokens`).
    var learnsTokenLimitField: Bool { get }
    /// One model's completion request; nil for a kind without one.
    func completionRequest(
        for model: String, maxTokens: Int, tokenLimitField: TokenLimitField, provider: ProviderSettings
    ) -> KindRequest?

    // MARK: answers

    /// The reason a response stands for when the kind's error body or headers say more than its status (Gemini's
    /// 400 `API_KEY_INVALID` is a bad key); nil to go by the status alone.
    func failureReason(for response: HTTPProbeResponse) -> FailureReason?
    /// The human message of an error body.
    func errorMessage(_ body: [UInt8]) -> String?
    /// The rate-limit header families the kind sends (`retry-after` is always read).
    var rateLimitFamilies: [RateLimitFamily] { get }

    // MARK: probe

    /// One probe: by default the model list (following pages), then the configured models against it, then the
    /// completions. Kinds with another flow (OpenRouter's key check, HuggingFace's per-model lookups) override it.
    func probe(_ context: ProbeContext) async throws -> ProbeOutcome
}

/// A configuration key only one kind takes.
struct KindSetting: Sendable {
    let key: String
    /// Used when the key is left out; nil when it then has no value.
    var defaultValue: String? = nil
    var required = false
    /// Set instead of an API key (azure's `bearer_token_file`): both at once is a configuration error.
    var replacesAPIKey = false
    /// Whether the value is a file path or a name that might hold key material by mistake: never echoed then.
    var mayHoldSecret = false
    /// What is wrong with a value, nil when it is fine.
    var problem: @Sendable (String) -> String? = { _ in nil }
}

/// What a probe's requests authenticate with.
struct ProbeCredentials: Sendable {
    /// Headers added to every request, after the configured ones.
    var headers: [(String, String)] = []
    /// Signs each request once its URL, headers and body are final (AWS SigV4).
    var sign: (@Sendable (inout HTTPProbeRequest, Date) -> Void)? = nil
    /// Values a response must never be allowed to echo into a message.
    var secrets: [String] = []
}

/// A credential that could not be had. The message names variables, files and profiles, never values.
struct CredentialError: Error {
    let message: String
}

/// A request a kind asks for, before authentication.
struct KindRequest {
    var url: String
    var method = "POST"
    /// Serialised as JSON with sorted keys.
    var payload: [String: Any]
}

/// One page of a model list.
struct ModelListPage {
    var ids: [String]
    var next: String? = nil
}

extension ProviderKindSpec {
    var settings: [KindSetting] { [] }
    var takesAPIKey: Bool { true }
    var defaultHeaders: [(String, String)] { [] }

    func credentials(
        for provider: ProviderSettings, apiKey: Secret?, environment: [String: String]
    ) throws(CredentialError) -> ProbeCredentials {
        guard let key = apiKey?.value, !key.isEmpty else { return ProbeCredentials() }
        return ProbeCredentials(headers: [("Authorization", "Bearer " + key)], secrets: [key])
    }

    func modelListPage(_ body: [UInt8]) -> ModelListPage? { ModelListParsing.dataIDs(body).map { ModelListPage(ids: $0) } }
    var listNamesConfiguredModels: Bool { true }
    func normalizedModelName(_ name: String) -> String { name }
    func listedNames(for configured: String) -> [String] { [configured] }

    var completionAnswerField: String? { "choices" }
    var learnsTokenLimitField: Bool { false }

    func failureReason(for response: HTTPProbeResponse) -> FailureReason? { nil }
    func errorMessage(_ body: [UInt8]) -> String? { providerErrorMessage(body) }
    var rateLimitFamilies: [RateLimitFamily] { [.xRateLimit] }

    func probe(_ context: ProbeContext) async throws -> ProbeOutcome {
        let listing = try await ModelListing.fetch(context)
        return try await finishListProbe(
            context, listCheck: listing.check, catalog: listing.catalog, rateLimit: listing.rateLimit)
    }

    /// The OpenAI chat completion body: `model`, the token budget, one user message.
    func chatCompletionPayload(model: String?, maxTokens: Int, tokenLimitField: TokenLimitField) -> [String: Any] {
        var payload: [String: Any] = [
            tokenLimitField.rawValue: maxTokens, "messages": [["role": "user", "content": completionPrompt]],
        ]
        if let model { payload["model"] = model }
        return payload
    }
}

/// What every completion probe asks: a word, to spend as few tokens as possible.
let completionPrompt = "ping"
