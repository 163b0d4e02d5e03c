import HealthCore

/// Longest `api_base` accepted, in bytes.
let maxEndpointBytes = 2048
/// Longest error class kept as a label; a longer or odd one is not a class name.
let maxErrorLabelBytes = 64

/// The top-level fields of a `StandardLoggingPayload` the decoder reads. Every other field — `messages`,
/// `response`, `metadata`, `error_str`, `end_user`, `requester_ip_address`, … — is skipped without being copied.
private enum PayloadField: UInt16 {
    case status, model, customLLMProvider, modelGroup, apiBase, callType, stream, startTime, endTime
    case completionStartTime, errorInformation

    var name: String {
        switch self {
        case .status: "status"
        case .model: "model"
        case .customLLMProvider: "custom_llm_provider"
        case .modelGroup: "model_group"
        case .apiBase: "api_base"
        case .callType: "call_type"
        case .stream: "stream"
        case .startTime: "startTime"
        case .endTime: "endTime"
        case .completionStartTime: "completionStartTime"
        case .errorInformation: "error_information"
        }
    }

    var bit: UInt16 { 1 << rawValue }
}

/// What one payload says, as it is read.
private struct PayloadValues {
    var seen: UInt16 = 0
    var success: Bool?
    var model: String?
    var provider: String?
    var group: String?
    var endpoint: String?
    var operation = OperationName.chat
    var streamed = false
    var startTime: Double?
    var endTime: Double?
    var completionStartTime: Double?
    var errorCode: Int?
    /// The error class as it appears in the body (a plain identifier), if any.
    var errorClass: StringToken?
    /// LiteLLM's own limiter refused the call (`error_rate_limit_category` `litellm_rate_limit` or
    /// `litellm_batch_rate_limit`).
    var limitedByLiteLLM = false
    /// LiteLLM's stable error code (`normalized_error`) is `429_BUDGET_EXCEEDED`. It does not say whose budget: it is
    /// also given to a provider's answer whose message speaks of a budget.
    var budgetExceeded = false
}

extension JSONScanner {
    /// Reads one `StandardLoggingPayload` object starting at its `{` (after white space).
    mutating func scanLiteLLMPayload(now: Double, names: inout LiteLLMNames) throws(ScanFailure) -> GatewayCall {
        skipWhitespace()
        guard current == UInt8(ascii: "{") else {
            if let byte = current, "[\"tfn-0123456789".utf8.contains(byte) {
                throw .invalid("expected a LiteLLM logging payload object, found \(kindOfNextValue)")
            }
            throw malformed("expected a LiteLLM logging payload object, \(foundDescription)")
        }
        var values = PayloadValues()
        try scanObject(depth: 1) { (scanner: inout JSONScanner, key: StringToken) throws(ScanFailure) in
            guard let field = scanner.payloadField(named: key) else { return try scanner.skipValueByStructure() }
            guard values.seen & field.bit == 0 else { throw .invalid("duplicate field \"\(field.name)\"") }
            values.seen |= field.bit
            try scanner.scanValue(of: field, into: &values, names: &names)
        }
        return try call(from: values, now: now)
    }

    /// Walks an object's members, handing each key to `member`, which must consume the value.
    private mutating func scanObject(
        depth: Int, _ member: (inout JSONScanner, StringToken) throws(ScanFailure) -> Void
    ) throws(ScanFailure) {
        position += 1
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            position += 1
            return
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw malformed("expected a field name, \(foundDescription)") }
            let key = try scanString()
            try expect(UInt8(ascii: ":"), "':'")
            skipWhitespace()
            try member(&self, key)
            skipWhitespace()
            if current == UInt8(ascii: ",") {
                position += 1
            } else if current == UInt8(ascii: "}") {
                position += 1
                return
            } else {
                throw malformed("expected ',' or '}', \(foundDescription)")
            }
        }
    }

    private func payloadField(named key: StringToken) -> PayloadField? {
        guard !key.hasEscapes else { return nil }
        switch key.byteCount {
        case 5: return string(key, equals: "model") ? .model : nil
        case 6:
            if string(key, equals: "status") { return .status }
            if string(key, equals: "stream") { return .stream }
        case 7: return string(key, equals: "endTime") ? .endTime : nil
        case 8: return string(key, equals: "api_base") ? .apiBase : nil
        case 9:
            if string(key, equals: "call_type") { return .callType }
            if string(key, equals: "startTime") { return .startTime }
        case 11: return string(key, equals: "model_group") ? .modelGroup : nil
        case 17: return string(key, equals: "error_information") ? .errorInformation : nil
        case 19:
            if string(key, equals: "custom_llm_provider") { return .customLLMProvider }
            if string(key, equals: "completionStartTime") { return .completionStartTime }
        default: break
        }
        return nil
    }

    private mutating func scanValue(
        of field: PayloadField, into values: inout PayloadValues, names: inout LiteLLMNames
    ) throws(ScanFailure) {
        switch field {
        case .status:
            let token = try requiredString(field)
            if string(token, equals: "success") {
                values.success = true
            } else if string(token, equals: "failure") {
                values.success = false
            } else {
                throw .invalid("status must be \"success\" or \"failure\"")
            }
        case .model:
            values.model = try optionalName(field, limit: maxNameBytes, cache: &names.models)
        case .customLLMProvider:
            values.provider = try optionalName(field, limit: maxNameBytes, cache: &names.providers)
        case .modelGroup:
            values.group = try optionalName(field, limit: maxNameBytes, cache: &names.groups)
        case .apiBase:
            guard let token = try optionalString(field) else { return }
            guard token.byteCount <= maxEndpointBytes else {
                throw .invalid("api_base is longer than \(maxEndpointBytes) bytes")
            }
            values.endpoint = endpointName(token, cache: &names.endpoints)
        case .callType:
            guard let token = try optionalString(field) else { return }
            values.operation = operation(forCallType: token)
        case .stream:
            if current == UInt8(ascii: "n") { return try scanLiteral("null") }
            if current == UInt8(ascii: "t") {
                try scanLiteral("true")
                values.streamed = true
            } else if current == UInt8(ascii: "f") {
                try scanLiteral("false")
            } else {
                try wrongType(field.name, "must be true, false or null")
            }
        case .startTime: values.startTime = try seconds(field)
        case .endTime: values.endTime = try seconds(field)
        case .completionStartTime:
            if current == UInt8(ascii: "n") { return try scanLiteral("null") }
            values.completionStartTime = try seconds(field)
        case .errorInformation:
            if current == UInt8(ascii: "n") { return try scanLiteral("null") }
            guard current == UInt8(ascii: "{") else { try wrongType(field.name, "must be an object or null") }
            try scanErrorInformation(into: &values)
        }
    }

    /// `error_information`: the provider's status (`error_code`), the exception's class, LiteLLM's rate-limit
    /// category and its normalized error code. `error_message` and `traceback` quote the request, and are skipped
    /// like everything else.
    private mutating func scanErrorInformation(into values: inout PayloadValues) throws(ScanFailure) {
        try scanObject(depth: 2) { (scanner: inout JSONScanner, key: StringToken) throws(ScanFailure) in
            if scanner.string(key, equals: "error_code") {
                values.errorCode = try scanner.errorCode()
            } else if scanner.string(key, equals: "error_class") {
                guard scanner.current == UInt8(ascii: "\"") else { return try scanner.skipValue(depth: 2) }
                let token = try scanner.scanString()
                values.errorClass = scanner.isIdentifier(token) ? token : nil
            } else if scanner.string(key, equals: "error_rate_limit_category") {
                guard scanner.current == UInt8(ascii: "\"") else { return try scanner.skipValue(depth: 2) }
                let token = try scanner.scanString()
                values.limitedByLiteLLM = scanner.string(token, equals: "litellm_rate_limit")
                    || scanner.string(token, equals: "litellm_batch_rate_limit")
            } else if scanner.string(key, equals: "normalized_error") {
                guard scanner.current == UInt8(ascii: "\"") else { return try scanner.skipValue(depth: 2) }
                let token = try scanner.scanString()
                values.budgetExceeded = scanner.string(token, equals: "429_BUDGET_EXCEEDED")
            } else {
                try scanner.skipValue(depth: 2)
            }
        }
    }

    /// `error_code`: an HTTP status as a string ("500") or a number; anything else ("", null, a word) is no status.
    private mutating func errorCode() throws(ScanFailure) -> Int? {
        if current == UInt8(ascii: "\"") {
            let token = try scanString()
            guard token.byteCount == 3, !token.hasEscapes else { return nil }
            var status = 0
            for index in token.start..<token.end {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                status = status * 10 + Int(digit)
            }
            return (100...599).contains(status) ? status : nil
        }
        if let byte = current, byte == UInt8(ascii: "-") || byte &- UInt8(ascii: "0") < 10 {
            let value = try scanNumber(converting: true)
            guard let status = Int(exactly: value), (100...599).contains(status) else { return nil }
            return status
        }
        try skipValue(depth: 2)
        return nil
    }

    /// An error class name worth a label: a short identifier (`RateLimitError`, `litellm.Timeout`).
    private func isIdentifier(_ token: StringToken) -> Bool {
        guard !token.hasEscapes, token.byteCount > 0, token.byteCount <= maxErrorLabelBytes else { return false }
        for index in token.start..<token.end {
            let byte = bytes[index]
            let letter = byte | 0x20
            guard (letter >= UInt8(ascii: "a") && letter <= UInt8(ascii: "z")) || byte &- UInt8(ascii: "0") < 10
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
            else { return false }
        }
        return true
    }

    private func operation(forCallType token: StringToken) -> OperationName {
        // The async variants carry an `a` prefix (acompletion, aembedding, atext_completion).
        var start = token.start
        if token.byteCount > 1, bytes[start] == UInt8(ascii: "a"), !string(token, equals: "anthropic_messages") {
            start += 1
        }
        let bare = StringToken(start: start, end: token.end, hasEscapes: token.hasEscapes)
        if string(bare, equals: "embedding") { return .embeddings }
        if string(bare, equals: "text_completion") { return .textCompletion }
        return .chat
    }

    private mutating func requiredString(_ field: PayloadField) throws(ScanFailure) -> StringToken {
        guard current == UInt8(ascii: "\"") else { try wrongType(field.name, "must be a string") }
        return try scanString()
    }

    private mutating func optionalString(_ field: PayloadField) throws(ScanFailure) -> StringToken? {
        if current == UInt8(ascii: "n") {
            try scanLiteral("null")
            return nil
        }
        return try requiredString(field)
    }

    /// A name field: a string of at most `limit` bytes, or null; empty is the same as null.
    private mutating func optionalName(
        _ field: PayloadField, limit: Int, cache: inout RecentNames
    ) throws(ScanFailure) -> String? {
        guard let token = try optionalString(field), token.byteCount > 0 else { return nil }
        guard token.byteCount <= limit else { throw .invalid("\(field.name) is longer than \(limit) bytes") }
        return cache.name(token, in: self)
    }

    /// `api_base` without what must not become a label or a log line: user info, query and fragment.
    private func endpointName(_ token: StringToken, cache: inout RecentNames) -> String? {
        guard token.byteCount > 0 else { return nil }
        if token.hasEscapes || mayHoldUserInfoQueryOrFragment(bytes[token.start..<token.end]) {
            let stripped = strippedEndpoint(string(token))
            return stripped.isEmpty ? nil : stripped
        }
        return cache.name(token, in: self)
    }

    private mutating func seconds(_ field: PayloadField) throws(ScanFailure) -> Double {
        guard let byte = current, byte == UInt8(ascii: "-") || byte &- UInt8(ascii: "0") < 10 else {
            try wrongType(field.name, "must be Unix seconds")
        }
        let value = try scanNumber(converting: true)
        guard value.isFinite else { throw .invalid("\(field.name) must be a finite number") }
        return value
    }

    /// Fails for a value of the wrong kind, after making sure it is at least well-formed JSON.
    private mutating func wrongType(_ name: String, _ rule: String) throws(ScanFailure) -> Never {
        let kind = kindOfNextValue
        try skipValue(depth: 1)
        throw .invalid("\(name) \(rule), found \(kind)")
    }

    private func call(from values: PayloadValues, now: Double) throws(ScanFailure) -> GatewayCall {
        guard let success = values.success else { throw .invalid("missing required field \"status\"") }
        guard let model = values.model else { throw .invalid("missing or empty field \"model\"") }
        guard let start = values.startTime else { throw .invalid("missing required field \"startTime\"") }
        guard let end = values.endTime else { throw .invalid("missing required field \"endTime\"") }
        guard end >= start else { throw .invalid("endTime is before startTime") }
        if let problem = timestampProblem(start, now: now) { throw .invalid("startTime: \(problem)") }
        let route = ReportedRoute(provider: values.provider, group: values.group, endpoint: values.endpoint)
        if success {
            return GatewayCall(
                route: route, model: model, operation: values.operation, success: true, latencySeconds: end - start,
                timeToFirstTokenSeconds: timeToFirstToken(values, start: start, end: end), timestamp: start)
        }
        let errorClass = values.errorClass.map { bytes[$0.start..<$0.end] }
        // The router's deployment and provider budgets refuse with a bare `ValueError`: only the normalized code
        // says it was a budget, and the missing status that no provider answered.
        let overLiteLLMBudget = values.budgetExceeded && values.errorCode == nil
        return GatewayCall(
            route: route, model: model, operation: values.operation, success: false, statusCode: values.errorCode,
            reason: liteLLMFailureReason(errorClass: errorClass, statusCode: values.errorCode),
            refusedByGateway: values.limitedByLiteLLM || overLiteLLMBudget || errorClass.map(isLiteLLMRefusal) == true,
            latencySeconds: end - start, timestamp: start,
            errorLabel: values.errorClass.map(string) ?? values.errorCode.map(String.init))
    }

    /// LiteLLM sets `completionStartTime` to `endTime` when it did not see a first token on its own (a call that
    /// was not streamed): only an earlier time is a measured first token.
    private func timeToFirstToken(_ values: PayloadValues, start: Double, end: Double) -> Double? {
        guard let first = values.completionStartTime, first < end else { return nil }
        return max(0, first - start)
    }
}

/// Why a LiteLLM call failed. The exception's class comes first when it names the transport failure: LiteLLM gives
/// its own exceptions a synthetic status (`Timeout` → 408, `APIConnectionError` → 500) that is no answer of the
/// provider's. Otherwise the provider's HTTP status decides, as for any gateway.
func liteLLMFailureReason(errorClass: ArraySlice<UInt8>?, statusCode: Int?) -> FailureReason {
    if let errorClass, let reason = FailureReason.forErrorText(Array(errorClass)) { return reason }
    return FailureReason.forReportedFailure(statusCode: statusCode, errorText: nil)
}

/// Exceptions that LiteLLM raises itself before any provider is called: the proxy's own refusals (`ProxyException`
/// for a bad key or request, `ProxyModelNotFoundError`, `ProxyRateLimitError`) and its budget (`BudgetExceededError`).
private func isLiteLLMRefusal(_ errorClass: ArraySlice<UInt8>) -> Bool {
    errorClass.starts(with: "Proxy".utf8) || errorClass.elementsEqual("BudgetExceededError".utf8)
}

/// Whether an endpoint's bytes hold `@`, `?` or `#`: only then can `strippedEndpoint` change them.
func mayHoldUserInfoQueryOrFragment(_ bytes: some Sequence<UInt8>) -> Bool {
    bytes.contains { $0 == UInt8(ascii: "@") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }
}

/// A URL without user info, query and fragment.
func strippedEndpoint(_ url: String) -> String {
    var bytes = Array(url.utf8)
    if let cut = bytes.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) {
        bytes.removeSubrange(cut...)
    }
    var authorityStart = 0
    if let colon = bytes.firstIndex(of: UInt8(ascii: ":")), bytes[colon...].starts(with: "://".utf8) {
        authorityStart = colon + 3
    }
    let authorityEnd = bytes[authorityStart...].firstIndex(of: UInt8(ascii: "/")) ?? bytes.endIndex
    if let at = bytes[authorityStart..<authorityEnd].lastIndex(of: UInt8(ascii: "@")) {
        bytes.removeSubrange(authorityStart...at)
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Names recently read from the body, one cache per field.
struct LiteLLMNames {
    var providers = RecentNames()
    var groups = RecentNames()
    var models = RecentNames()
    var endpoints = RecentNames()
}
