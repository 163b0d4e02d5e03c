import Foundation
import HealthCore
import Testing

@testable import ExporterConfig

private let canary = "sk-canary-5f4e3d2c1b"

@Test func descriptionShowsEffectiveValuesAndHidesSecrets() throws {
    let config = try loadConfiguration(path: try testdataPath("good/full.yml"))
    var withSecrets = config
    withSecrets.providers[0].headers["Authorization"] = "Bearer \(canary)"
    withSecrets.providers[0].headers["X-Api-Key"] = canary
    withSecrets.providers[2].apiKey = .inline(Secret(canary))
    withSecrets.providers[3].proxyURL = Secret("http://probe:\(canary)@proxy.internal:3128")
    let text = redactedDescription(withSecrets)
    #expect(!text.contains(canary))
    #expect(!text.contains("sk-or-v1-inline-example"))
    #expect(text.contains(#"api_key: "<secret>""#))
    #expect(text.contains(#""Authorization": "<secret>""#))
    #expect(text.contains(#""X-Api-Key": "<secret>""#))
    #expect(text.contains(#""X-Title": "my-gateway""#))
    #expect(text.contains(#"api_key_env: "OPENAI_API_KEY""#))
    #expect(text.contains(#"api_key_file: "/run/secrets/anthropic""#))
    #expect(text.contains("aggregation_interval: 15s"))
    #expect(text.contains("latency_buckets: [0.1, 0.5, 1, 2.5, 5, 30]"))
    #expect(text.contains(#"- {name: "o3-mini", max_tokens: 64}"#))
    #expect(text.contains("p95_latency: 1500ms"))
    #expect(text.contains(#"proxy_url: "http://proxy.internal:3128""#))
    #expect(text.contains(#"proxy_url: "http://probe:<secret>@proxy.internal:3128""#))
}

@Test func descriptionParsesBackToTheSameConfiguration() throws {
    for name in ["minimal.yml", "full.yml", "well-known-names.yml", "anchors.yml", "no-providers.yml"] {
        var config = try loadConfiguration(path: try testdataPath("good/\(name)"))
        let reparsed = try parseConfiguration(yaml: redactedDescription(config), filename: "effective.yml")
        // Inline keys come back as the placeholder; everything else is identical.
        for index in config.providers.indices where config.providers[index].apiKey != reparsed.providers[index].apiKey {
            #expect(reparsed.providers[index].apiKey == .inline(Secret("<secret>")))
            config.providers[index].apiKey = .inline(Secret("<secret>"))
        }
        #expect(reparsed == config, "\(name)")
    }
}

/// Found by the config fuzz target (a seed input): names holding control characters (written as YAML escapes) were
/// rendered with Swift's `\u{1}` escapes, which YAML refuses, so GET /config did not parse back.
@Test func namesWithControlCharactersParseBack() throws {
    let yaml = #"""
        providers:
          - {name: "a\x01b", kind: openrouter, models: ["m\x7f", "n\x85", "o\u2028p", "q\uFEFF", "r\x9f", "s\\t\"u"]}
        """#
    let config = try parseConfiguration(yaml: yaml, filename: "names.yml")
    #expect(config.providers.first?.name == "a\u{1}b")
    let reparsed = try parseConfiguration(yaml: redactedDescription(config), filename: "effective.yml")
    #expect(reparsed == config)
}

@Test func descriptionOfEmptyConfigurationIsValidYAML() throws {
    let text = redactedDescription(ExporterConfiguration())
    #expect(text.contains("providers: []"))
    #expect(try parseConfiguration(yaml: text, filename: "x.yml") == ExporterConfiguration())
}

/// A configuration full of mistakes around an inline key: no error may show the key.
@Test func noErrorEverContainsTheKey() {
    let yaml = """
        providers:
          - name: a
            kind: opena
            api_key: \(canary)
            api_key_env: \(canary)
            headers: {Authorization: [\(canary)], X-Key: "Bearer \(canary)\\n"}
          - name: b
            kind: openai
            api_key: [\(canary)]
            base_url: \(canary)
          - name: c
            kind: openai
            api_key_env: \(canary)
            timeout: \(canary)
            models: [{name: m, max_tokens: \(canary)}]
          - name: d
            kind: openai
            api_key_file: \(canary)
            \(canary): 1
        """
    let found = errors(ofYAML: yaml)
    #expect(found.count >= 9)
    for error in found {
        #expect(!error.description.contains(canary), "\(error)")
        #expect(!error.description.contains("canary"), "\(error)")
    }
}

@Test func yamlSyntaxErrorsNeverQuoteTheSourceLine() {
    let found = errors(ofYAML: "providers:\n  - api_key: \"\(canary)\n    kind: [\n")
    #expect(found.count == 1)
    #expect(!found[0].description.contains(canary))
}

/// Keys pasted into a base URL (`?key=…`, as Gemini's documentation shows, or `user:key@`) stay out of the errors.
@Test func baseURLErrorsNeverShowTheQueryOrUserInfo() {
    let yaml = """
        providers:
          - {name: a, kind: gemini, base_url: "https://generativelanguage.googleapis.com/v1beta?key=AIza\(canary)"}
          - {name: b, kind: gemini, base_url: "generativelanguage.googleapis.com/v1beta?key=AIza\(canary)"}
          - {name: c, kind: openai, base_url: "https://x.example/v1#token=\(canary)"}
          - {name: d, kind: openai, base_url: "ftp://user:\(canary)@x.example/v1"}
          - {name: e, kind: openai, base_url: "user:\(canary)@x.example/v1?key=\(canary)"}
        """
    let found = errors(ofYAML: yaml)
    #expect(found.count == 5)
    for error in found {
        #expect(!error.description.contains("canary"), "\(error)")
    }
    let messages = found.map(\.message)
    #expect(messages.contains(#""https://generativelanguage.googleapis.com/v1beta?…" must not have a query or fragment"#))
    #expect(messages.contains(#""generativelanguage.googleapis.com/v1beta?…" is not an http(s) URL"#))
    #expect(messages.contains(#""https://x.example/v1#…" must not have a query or fragment"#))
    #expect(messages.contains(#""ftp://…@x.example/v1" is not an http(s) URL"#))
}
