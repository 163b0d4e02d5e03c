import HealthCore
import Testing

@testable import ExporterConfig

@Test(
    arguments: [
        ("https://api.openai.com/v1", nil),
        ("http://127.0.0.1:11434", nil),
        ("HTTPS://Example.com", nil),
        ("ftp//x", #""ftp//x" is not an http(s) URL"#),
        ("ftp://example.com", #""ftp://example.com" is not an http(s) URL"#),
        ("api.openai.com/v1", #""api.openai.com/v1" is not an http(s) URL"#),
        ("https://", #""https://" has no host"#),
        ("https://x.example/v1?a=b", #""https://x.example/v1?…" must not have a query or fragment"#),
        ("has space", #""has space" is not an http(s) URL"#),
    ] as [(String, String?)])
func baseURLChecks(_ url: String, _ problem: String?) {
    #expect(baseURLProblem(url) == problem)
}

@Test func baseURLsLoseTrailingSlashes() {
    #expect(normalizedBaseURL("https://x.example/v1//") == "https://x.example/v1")
    #expect(normalizedBaseURL("https://x.example") == "https://x.example")
}

@Test func headerNamesAreTokens() {
    for good in ["X-Title", "HTTP-Referer", "anthropic-version", "a!#$%&'*+.^_`|~9"] { #expect(isHeaderToken(good)) }
    for bad in ["", "Bad Header", "X:Y", "Ünï", "X\nY", "(x)"] { #expect(!isHeaderToken(bad), "\(bad)") }
}

@Test func environmentVariableNames() {
    for good in ["OPENAI_API_KEY", "_X", "a1"] { #expect(isEnvironmentVariableName(good)) }
    for bad in ["", "1A", "MY-KEY", "A B", "Ä"] { #expect(!isEnvironmentVariableName(bad), "\(bad)") }
}

@Test func suggestionsFindCloseKeysOnly() {
    let keys = ["interval", "timeout", "api_key_env", "base_url"]
    #expect(closestMatch(to: "intervall", in: keys) == "interval")
    #expect(closestMatch(to: "Timeout", in: keys) == "timeout")
    #expect(closestMatch(to: "base-url", in: keys) == "base_url")
    #expect(closestMatch(to: "api_key_var", in: keys) == "api_key_env")
    #expect(closestMatch(to: "colour", in: keys) == nil)
    #expect(closestMatch(to: "x", in: keys) == nil)
}

@Test func editDistanceIsLevenshtein() {
    #expect(editDistance(Array("kitten"), Array("sitting")) == 3)
    #expect(editDistance(Array(""), Array("abc")) == 3)
    #expect(editDistance(Array("same"), Array("same")) == 0)
}

@Test func keyLikeValuesAreRecognised() {
    for secret in [
        "sk-proj-abc", "hf_abcdef", "AIzaSyDUMMY", "bearer xyz", "gsk_123", "nvapi-xyz", "Bearer abc",
        "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8",
    ] {
        #expect(looksLikeSecret(secret), "\(secret)")
        #expect(displayValue(secret) == "<redacted>")
    }
    for plain in [
        "OPENAI_API_KEY", "HF_TOKEN", "aiza", "/run/secrets/openai", "https://api.openai.com/v1", "gpt-4o-mini",
        "10 seconds",
    ] {
        #expect(!looksLikeSecret(plain), "\(plain)")
    }
}

@Test func quotingEscapesControlCharactersAndQuotes() {
    #expect(quoted(#"a "b" \c"#) == #""a \"b\" \\c""#)
    #expect(quoted("x\ny\t\u{1}") == #""x\ny\t\u0001""#)
    #expect(quoted("\u{7F}\u{85}\u{2028}\u{FEFF}") == #""\u007F\u0085\u2028\uFEFF""#)
    #expect(quoted("ünï ✓") == "\"ünï ✓\"")
}

@Test func durationsRenderSoTheyParseBack() {
    for seconds in [0.5, 1, 30, 90, 1.5, 300, 3600, 0.001, 86400] {
        let text = renderDuration(seconds)
        #expect(parseDuration(text) == seconds, "\(seconds) -> \(text)")
    }
    #expect(renderDuration(90) == "1m30s")
    #expect(renderDuration(1.5) == "1500ms")
}

/// Found by fuzzing: `p95_latency: .1500ms` rendered as `0ms` in GET /config, which no longer parsed ("must be greater
/// than 0"); fractions of a second past 1e9 s were rounded away.
@Test func durationsFinerThanAMillisecondParseBackExactly() {
    for seconds in [0.00015, 1e-9, 0.000_001, 1.0005, 59.9999, 1e9 + 0.5, 2e9 + 0.25, 0.1 + 0.2] {
        let text = renderDuration(seconds)
        #expect(parseDuration(text) == seconds, "\(seconds) -> \(text)")
    }
    #expect(renderDuration(0.00015) == "0.00015")
}
