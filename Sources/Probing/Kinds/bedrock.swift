#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HealthCore

/// AWS Bedrock: requests signed with SigV4 (credentials from the environment or the shared credentials file,
/// never from `api_key`). The check is `GET {base}/foundation-models` on the control plane
/// (`https://bedrock.{region}.amazonaws.com`); completions go to the runtime
/// (`https://bedrock-runtime.{region}.amazonaws.com`) as Converse, `POST /model/{modelId}/converse`, whose
/// answer holds `output`. Errors are named by `x-amzn-errortype`: throttling is rate_limited, a key AWS does not
/// know, a wrong signature or a denied action is unauthorized.
struct BedrockKind: ProviderKindSpec {
    let kind = ProviderKind.bedrock

    /// Bedrock's signing name, for the control plane and the runtime alike.
    static let signingName = "bedrock"

    var settings: [KindSetting] {
        [
            KindSetting(key: "region", required: true, problem: Self.regionProblem),
            KindSetting(key: "runtime_url", problem: { ProbeURL($0) == nil ? "expected an http or https URL" : nil }),
            KindSetting(key: "profile"),
        ]
    }

    var takesAPIKey: Bool { false }

    func defaultBaseURL(options: [String: String]) -> String? {
        options["region"].map { "https://bedrock.\($0).amazonaws.com" }
    }

    func credentials(
        for provider: ProviderSettings, apiKey: Secret?, environment: [String: String]
    ) throws(CredentialError) -> ProbeCredentials {
        guard let region = provider.kindOptions["region"] else {
            throw CredentialError(message: "bedrock needs a region")
        }
        let aws = try AWSCredentials.resolve(environment: environment, profile: provider.kindOptions["profile"])
        let signer = SigV4Signer(credentials: aws, service: Self.signingName, region: region)
        return ProbeCredentials(
            sign: { request, date in signer.sign(&request, at: date) },
            secrets: [aws.secretAccessKey] + (aws.sessionToken.map { [$0] } ?? []))
    }

    func modelListRequest(after cursor: String?, provider: ProviderSettings) -> (path: String, query: [(String, String)]) {
        ("/foundation-models", [])
    }

    /// `{"modelSummaries":[{"modelId":"anthropic.claude-3-haiku-20240307-v1:0", …}]}`.
    func modelListPage(_ body: [UInt8]) -> ModelListPage? {
        guard let models = ModelListParsing.object(body)?["modelSummaries"] as? [Any] else { return nil }
        return ModelListPage(ids: models.compactMap { ($0 as? [String: Any])?["modelId"] as? String })
    }

    /// Cross-region inference profiles (`us.anthropic.claude-…`) are the listed model behind a geography prefix.
    func normalizedModelName(_ name: String) -> String {
        for prefix in Self.inferenceProfilePrefixes where name.hasPrefix(prefix + ".") {
            let model = name.dropFirst(prefix.count + 1)
            if model.contains(".") { return String(model) }
        }
        return name
    }

    static let inferenceProfilePrefixes = ["us", "us-gov", "eu", "apac", "jp", "au", "ca", "global"]

    var completionAnswerField: String? { "output" }

    func completionRequest(
        for model: String, maxTokens: Int, tokenLimitField: TokenLimitField, provider: ProviderSettings
    ) -> KindRequest? {
        let runtime =
            provider.kindOptions["runtime_url"]
            ?? provider.kindOptions["region"].map { "https://bedrock-runtime.\($0).amazonaws.com" }
        guard let runtime else { return nil }
        return KindRequest(
            url: endpointURL(runtime, "/model/\(percentEncoded(model))/converse"),
            payload: [
                "messages": [["role": "user", "content": [["text": completionPrompt]]]],
                "inferenceConfig": ["maxTokens": maxTokens],
            ])
    }

    /// AWS names the error in `x-amzn-errortype` (`ThrottlingException:http://…`), or in the body's `__type`.
    func failureReason(for response: HTTPProbeResponse) -> FailureReason? {
        let header = response.headers.first { $0.name.lowercased() == "x-amzn-errortype" }?.value
        let bodyType = ModelListParsing.object(response.body)?["__type"] as? String
        guard let named = header ?? bodyType else { return nil }
        // `com.amazon.coral.service#ThrottlingException` or `ThrottlingException:http://internal…`.
        let type = named.split(separator: ":").first.map { $0.split(separator: "#").last ?? $0 } ?? ""
        switch type {
        case "ThrottlingException", "ServiceQuotaExceededException", "TooManyRequestsException":
            return .rateLimited
        case "UnrecognizedClientException", "InvalidSignatureException", "AccessDeniedException",
            "ExpiredTokenException", "IncompleteSignatureException", "MissingAuthenticationTokenException":
            return .auth
        case "ResourceNotFoundException":
            return .modelMissing
        case "ValidationException" where (errorMessage(response.body) ?? "").contains("model identifier is invalid"):
            return .modelMissing
        default:
            return nil
        }
    }

    /// Bedrock sends no rate-limit headers; throttling answers carry only `retry-after`, when anything.
    var rateLimitFamilies: [RateLimitFamily] { [] }

    /// `us-east-1`, `eu-central-2`, `us-gov-west-1`: lower-case words and a number, joined by dashes.
    static func regionProblem(_ value: String) -> String? {
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        let wellFormed =
            parts.count >= 3 && !parts.last!.isEmpty && parts.last!.allSatisfy(\.isNumber)
            && parts.dropLast().allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isLowercase } }
        return wellFormed ? nil : "expected an AWS region such as us-east-1"
    }
}

extension ProviderKind {
    public static let bedrock = ProviderKind(rawValue: "bedrock")
}
