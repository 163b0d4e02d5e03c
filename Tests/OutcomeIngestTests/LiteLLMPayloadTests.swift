import Foundation
import HealthCore
import TestSupport
import Testing

@testable import OutcomeIngest

/// Bodies LiteLLM's `generic_api` callback really posted (recorded by integration/e2e/capture_litellm_payloads.py):
/// per batch format, in order, a success, a streamed success, a 500, a 429, a streamed call answered 500, a gateway
/// timeout, two successes through a slow provider, a call refused by the proxy for a wrong key, and a call for a model
/// the proxy does not serve. And, one payload a body (`budget-<n>.json`), a call through a deployment with a budget in
/// LiteLLM's router, which spends it, then the router's refusal of the next.
@Suite struct LiteLLMPayloadTests {
    static let promptCanary = "CANARY-PROMPT-7f3a9c"
    static let answerCanary = "CANARY-ANSWER-b81e42"

    static func fixture(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.resourceURL).appendingPathComponent("testdata/litellm/\(name)")
        return Array(try Data(contentsOf: url))
    }

    static func bodies(_ format: String) throws -> [[UInt8]] {
        let url = try #require(Bundle.module.resourceURL).appendingPathComponent("testdata/litellm")
        let names = try FileManager.default.contentsOfDirectory(atPath: url.path)
            .filter { $0.hasPrefix(format + "-") }
            .sorted { Int($0.dropFirst(format.count + 1).prefix { $0.isNumber })! < Int($1.dropFirst(format.count + 1).prefix { $0.isNumber })! }
        return try names.map { try fixture($0) }
    }

    /// A clock just after the fixtures were recorded.
    static let now = 1_796_176_600.0

    static func calls(_ format: String) throws -> [GatewayCall] {
        var calls: [GatewayCall] = []
        for body in try bodies(format) { calls += try decodeLiteLLMPayloads(body, limits: IngestLimits(), now: now) }
        return calls
    }

    @Test(arguments: ["json_array", "ndjson", "single"])
    func everyOutcomeKindOfARealProxy(format: String) throws {
        let calls = try Self.calls(format)
        #expect(calls.count == 10)
        let byGroup = Dictionary(grouping: calls) { $0.route.group ?? "" }
        #expect(byGroup["chat-ok"]?.count == 3)
        for call in calls {
            #expect(call.model == "openai/gpt-4o-mini" || call.model == "chat-nowhere")
            #expect(call.operation == .chat)
            #expect(call.latencySeconds >= 0 && call.latencySeconds < 5)
            #expect(call.timestamp > Self.now - 3600 && call.timestamp <= Self.now)
        }
        let successes = calls.filter(\.success)
        #expect(successes.count == 4)
        #expect(successes.allSatisfy { $0.route.provider == "openai" && $0.reason == nil && !$0.refusedByGateway })
        // Streamed: LiteLLM saw the first token before the end. Not streamed: it only knows the end.
        let measured = successes.filter { $0.timeToFirstTokenSeconds != nil }
        #expect(measured.count == 1)
        if let streamed = measured.first {
            #expect(streamed.route.group == "chat-ok")
            #expect(streamed.timeToFirstTokenSeconds! > 0 && streamed.timeToFirstTokenSeconds! < streamed.latencySeconds)
        }
        let failures = calls.filter { !$0.success }
        let fail = failures.filter { $0.route.group == "chat-fail" }
        #expect(fail.count == 2)
        #expect(fail.allSatisfy {
            $0.reason == .http5xx && $0.statusCode == 500 && $0.errorLabel == "InternalServerError"
                && $0.route.endpoint == "http://127.0.0.1:9001/fail/v1" && !$0.refusedByGateway
        })
        let limited = try #require(failures.first { $0.route.group == "chat-limited" })
        #expect(limited.reason == .rateLimited && limited.statusCode == 429 && !limited.refusedByGateway)
        #expect(limited.errorLabel == "RateLimitError")
        let timedOut = try #require(failures.first { $0.route.group == "chat-slow" })
        #expect(timedOut.reason == .timeout && timedOut.errorLabel == "Timeout" && !timedOut.refusedByGateway)
        // Refused by the proxy before any provider was called: a wrong key, a model it does not serve.
        let refused = failures.filter(\.refusedByGateway)
        #expect(refused.count == 2)
        #expect(Set(refused.compactMap(\.errorLabel)) == ["ProxyException", "ProxyModelNotFoundError"])
    }

    @Test func canariesAppearInNoField() throws {
        for format in ["json_array", "ndjson", "single", "budget"] {
            for body in try Self.bodies(format) {
                let text = String(decoding: body, as: UTF8.self)
                #expect(text.contains(Self.promptCanary))
                for call in try decodeLiteLLMPayloads(body, limits: IngestLimits(), now: Self.now) {
                    let fields = "\(call)"
                    #expect(!fields.contains("CANARY"), "\(fields)")
                }
            }
        }
    }

    @Test func theRateLimitCategoryMarksLiteLLMsOwnLimits() throws {
        let own = payload(status: "failure", error: #"{"error_code":"429","error_class":"RateLimitError","#
            + #""error_message":"CANARY-PROMPT-7f3a9c","error_rate_limit_category":"litellm_rate_limit"}"#)
        let call = try #require(try decodeLiteLLMPayloads(Array(own.utf8), limits: IngestLimits(), now: Self.now).first)
        #expect(call.refusedByGateway && call.reason == .rateLimited)
        let vendor = own.replacingOccurrences(of: "litellm_rate_limit", with: "vendor_rate_limit")
        let provider = try #require(try decodeLiteLLMPayloads(Array(vendor.utf8), limits: IngestLimits(), now: Self.now).first)
        #expect(!provider.refusedByGateway && provider.reason == .rateLimited)
        let budget = payload(status: "failure", error: #"{"error_code":"400","error_class":"BudgetExceededError"}"#)
        #expect(try decodeLiteLLMPayloads(Array(budget.utf8), limits: IngestLimits(), now: Self.now)[0].refusedByGateway)
    }

    @Test func aRefusalOverABudgetOfLiteLLMsRouterIsNotTheProviders() throws {
        let calls = try Self.calls("budget")
        #expect(calls.count == 2)
        let spending = try #require(calls.first { $0.success })
        #expect(spending.route.group == "chat-budget" && spending.route.provider == "openai")
        #expect(!spending.refusedByGateway)
        let refused = try #require(calls.first { !$0.success })
        #expect(refused.refusedByGateway)
        #expect(refused.route.group == "chat-budget" && refused.route.provider == nil && refused.route.endpoint == nil)
        #expect(refused.statusCode == nil && refused.errorLabel == "ValueError")
    }

    @Test func theBudgetCodeIsLiteLLMsOnlyWithoutAProviderStatus() throws {
        func refused(_ error: String) throws -> Bool {
            let body = payload(status: "failure", error: error)
            let calls = try decodeLiteLLMPayloads(Array(body.utf8), limits: IngestLimits(), now: Self.now)
            return try #require(calls.first).refusedByGateway
        }
        #expect(try refused(#"{"error_code":"","error_class":"ValueError","normalized_error":"429_BUDGET_EXCEEDED"}"#))
        #expect(try refused(#"{"error_class":"ValueError","normalized_error":"429_BUDGET_EXCEEDED"}"#))
        // LiteLLM gives the code to any error whose message speaks of a budget; with the provider's status it is the
        // provider's answer (an upstream gateway's budget, say), as is a provider's own 429.
        #expect(try refused(#"{"error_code":"429","error_class":"RateLimitError","#
            + #""error_rate_limit_category":"vendor_rate_limit","normalized_error":"429_BUDGET_EXCEEDED"}"#) == false)
        #expect(try refused(#"{"error_code":"400","error_class":"BadRequestError","#
            + #""normalized_error":"429_BUDGET_EXCEEDED"}"#) == false)
        #expect(try refused(#"{"error_code":"429","error_class":"RateLimitError","#
            + #""error_rate_limit_category":"vendor_rate_limit","#
            + #""normalized_error":"429_RATE_LIMIT_EXCEEDED"}"#) == false)
        #expect(try refused(#"{"error_code":"","error_class":"ValueError","#
            + #""normalized_error":"500_INTERNAL_STATE_ERROR"}"#) == false)
        #expect(try refused(#"{"error_code":"","error_class":"ValueError","normalized_error":null}"#) == false)
    }

    @Test func callTypesAndEndpoints() throws {
        let cases: [(String, OperationName)] = [
            ("completion", .chat), ("acompletion", .chat), ("aembedding", .embeddings), ("embedding", .embeddings),
            ("atext_completion", .textCompletion), ("anthropic_messages", .chat), ("aresponses", .chat),
        ]
        for (callType, operation) in cases {
            let body = payload().replacingOccurrences(of: "acompletion", with: callType)
            #expect(try decodeLiteLLMPayloads(Array(body.utf8), limits: IngestLimits(), now: Self.now)[0].operation == operation)
        }
        let secret = payload().replacingOccurrences(
            of: "http://127.0.0.1:9001/ok/v1", with: "https://user:CANARY@llm.example.com:8443/v1?key=CANARY#x")
        let call = try decodeLiteLLMPayloads(Array(secret.utf8), limits: IngestLimits(), now: Self.now)[0]
        #expect(call.route.endpoint == "https://llm.example.com:8443/v1")
    }

    @Test func badPayloadsRefuseTheBatchNamingWhere() throws {
        let good = payload()
        let cases: [(String, String)] = [
            ("[" + good + "," + payload(status: "done") + "]", "index 1: status must be \"success\" or \"failure\""),
            (good + "\n" + good + "\n{\"status\": ", "line 3: malformed JSON"),
            (good + "\n" + payload(extra: #","startTime":"soon""#), "line 2: duplicate field \"startTime\""),
            ("[" + good + "," + #"{"status":"success","model":"m","startTime":1796174000}"# + "]",
             "index 1: missing required field \"endTime\""),
            (#"{"status":"success","model":"m","startTime":1796174000,"endTime":1796173000}"#,
             "line 1: endTime is before startTime"),
            (#"{"status":"success","model":"m","startTime":1,"endTime":2}"#, "line 1: startTime: timestamp 1 is more than 1 h old"),
            ("[" + good + "] x", "unexpected data after the array"),
            ("[1]", "index 0: expected a LiteLLM logging payload object, found a number"),
        ]
        for (body, expected) in cases {
            let error = rejectionOf(body)
            #expect(error?.status == 400)
            #expect(error?.detail.contains(expected) == true, "\(String(describing: error)) for \(body.prefix(80))")
        }
        var limits = IngestLimits()
        limits.maxBatchSize = 2
        #expect(rejectionOf(good + "\n" + good + "\n" + good, limits: limits)?.status == 413)
        limits = IngestLimits()
        limits.maxBodyBytes = 100
        #expect(rejectionOf(good + "\n" + good, limits: limits)?.reason == "body_too_large")
    }

    @Test func errorTextsNeverEchoTheBody() throws {
        let body = try Self.fixture("ndjson-3.json")
        var generator = SeededGenerator(seed: 13)
        for _ in 0..<300 {
            var mutated = body
            let position = Int.random(in: 0..<mutated.count, using: &generator)
            mutated[position] = [UInt8(ascii: "\""), UInt8(ascii: "{"), 0x0A, 0xFF, UInt8(ascii: ","), 0x00]
                .randomElement(using: &generator)!
            if let error = rejectionOf(mutated) {
                #expect(!error.detail.contains("CANARY") && error.detail.count < 300, "\(error.detail)")
            }
        }
    }

    @Test func randomBodiesNeverCrash() throws {
        var generator = SeededGenerator(seed: 31)
        let seeds = try Self.bodies("json_array") + Self.bodies("ndjson")
        let alphabet = Array(#"{}[]:,"\0123456789.eE-ntrufalse"#.utf8) + [0x0A, 0x20, 0x80, 0xC3, 0xED, 0xFF]
        for _ in 0..<400 {
            var bytes = seeds.randomElement(using: &generator)!
            for _ in 0..<Int.random(in: 1...6, using: &generator) {
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0: bytes[position] = alphabet.randomElement(using: &generator)!
                case 1: bytes.insert(alphabet.randomElement(using: &generator)!, at: position)
                default: bytes = Array(bytes[..<position])
                }
            }
            if let error = rejectionOf(bytes) { #expect([400, 413].contains(error.status)) }
        }
        for _ in 0..<400 {
            let bytes = (0..<Int.random(in: 0...200, using: &generator)).map { _ in
                alphabet.randomElement(using: &generator)!
            }
            if let error = rejectionOf(bytes) { #expect(error.status == 400) }
        }
    }

    @Test func anOwnSchemaRejectionOfALiteLLMBodyPointsToTheFormat() throws {
        let body = try Self.fixture("ndjson-0.json")
        let error = try #require(rejection(body, .ndjson))
        #expect(error.detail.contains("?format=litellm"))
        #expect(rejection(#"{"provider":"p"}"#, .ndjson)?.detail.contains("format=litellm") == false)
    }

    func payload(status: String = "success", error: String = "null", extra: String = "") -> String {
        #"{"id":"x","status":"\#(status)","custom_llm_provider":"openai","model":"gpt-4o-mini","#
            + #""model_group":"chat","api_base":"http://127.0.0.1:9001/ok/v1","call_type":"acompletion","#
            + #""startTime":1796174000.25,"endTime":1796174000.75,"completionStartTime":1796174000.75,"#
            + #""messages":[{"role":"user","content":"CANARY-PROMPT-7f3a9c"}],"error_information":\#(error)\#(extra)}"#
    }

    func rejectionOf(_ text: String, limits: IngestLimits = IngestLimits()) -> IngestRejection? {
        rejectionOf(Array(text.utf8), limits: limits)
    }

    func rejectionOf(_ body: [UInt8], limits: IngestLimits = IngestLimits()) -> IngestRejection? {
        do {
            _ = try decodeLiteLLMPayloads(body, limits: limits, now: Self.now)
            return nil
        } catch {
            return error
        }
    }
}
