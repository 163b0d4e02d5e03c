import Foundation
import Testing

@testable import ExporterConfig

/// One expected error: where, which field, and a part of the message.
struct ExpectedError: Sendable, CustomStringConvertible {
    let line: Int
    let column: Int
    let field: String
    let message: String
    init(_ line: Int, _ column: Int, _ field: String, _ message: String) {
        self.line = line
        self.column = column
        self.field = field
        self.message = message
    }
    var description: String { "\(line):\(column) \(field): …\(message)…" }
}

struct BadFile: Sendable, CustomTestStringConvertible {
    let name: String
    let expected: [ExpectedError]
    var testDescription: String { name }
}

private let badFiles: [BadFile] = [
    BadFile(
        name: "unknown-key.yml",
        expected: [
            ExpectedError(4, 5, "providers[0].intervall", #"unknown field "intervall" (did you mean "interval"?)"#)
        ]),
    BadFile(
        name: "bad-url.yml",
        expected: [
            ExpectedError(6, 15, "providers[1].base_url", #""ftp//x" is not an http(s) URL"#)
        ]),
    BadFile(
        name: "proxy-url.yml",
        expected: [
            ExpectedError(4, 16, "providers[0].proxy_url", "socks5:// proxies are not supported; give an http:// proxy"),
            ExpectedError(7, 16, "providers[1].proxy_url", "https:// proxies are not supported"),
            ExpectedError(10, 16, "providers[2].proxy_url", "a port between 1 and 65535"),
            ExpectedError(13, 16, "providers[3].proxy_url", "a proxy URL has no path or query"),
        ]),
    BadFile(
        name: "several-errors.yml",
        expected: [
            ExpectedError(4, 3, "global.windw", #"unknown field "windw" (did you mean "window"?)"#),
            ExpectedError(10, 15, "providers[1].base_url", #""ftp//x" is not an http(s) URL"#),
        ]),
    BadFile(
        name: "aliases.yml",
        expected: [
            ExpectedError(7, 15, "providers[1].aliases[0]", #"alias "openai" is the name of provider "openai" (line 2)"#),
            ExpectedError(15, 15, "providers[3].aliases[0]", #"alias "fast" already names provider "eu" (line 11)"#),
            ExpectedError(19, 23, "providers[4].aliases[1]", #"duplicate alias "gpt-4o""#),
            ExpectedError(19, 31, "providers[4].aliases[2]", "must not be empty"),
        ]),
    BadFile(
        name: "duplicate-names.yml",
        expected: [
            ExpectedError(6, 11, "providers[2].name", #"duplicate provider name "openai" (first defined at line 2)"#)
        ]),
    BadFile(
        name: "bad-duration.yml",
        expected: [
            ExpectedError(2, 13, "global.interval", #"expected a duration such as 30s or 1m30s, got "soon""#),
            ExpectedError(6, 14, "providers[0].timeout", #"got "10 seconds""#),
            ExpectedError(7, 13, "providers[0].jitter", #"got "-1s""#),
            ExpectedError(8, 30, "providers[0].breaker.open_duration", "must be greater than 0"),
        ]),
    BadFile(
        name: "wrong-type.yml",
        expected: [
            ExpectedError(2, 22, "global.probe_concurrency", #"expected a whole number, got "abc""#),
            ExpectedError(3, 21, "global.model_histograms", #"expected true or false, got the quoted string "yes""#),
            ExpectedError(4, 15, "global.thresholds", "expected a mapping, got a list"),
            ExpectedError(8, 13, "providers[0].models", "expected a list, got a mapping"),
            ExpectedError(9, 26, "providers[0].max_probes_per_hour", #"got the quoted string "600""#),
            ExpectedError(10, 5, "providers[1]", #"expected a mapping, got "just-a-string""#),
        ]),
    BadFile(
        name: "bad-ratio.yml",
        expected: [
            ExpectedError(3, 17, "global.thresholds.error_rate", "must be between 0 and 1, got 1.5"),
            ExpectedError(7, 40, "providers[0].thresholds.rate_limit_remaining", "must be between 0 and 1, got -0.1"),
        ]),
    BadFile(name: "empty.yml", expected: [ExpectedError(0, 0, "", "the configuration is empty")]),
    BadFile(
        name: "invalid-yaml.yml",
        expected: [
            ExpectedError(5, 9, "", "invalid YAML: did not find expected ',' or ']'")
        ]),
    BadFile(name: "duplicate-key.yml", expected: [ExpectedError(3, 5, "", #"duplicate key "kind""#)]),
    BadFile(
        name: "key-env-and-file.yml",
        expected: [
            ExpectedError(5, 5, "providers[0].api_key_file", "api_key_env and api_key_file are both set")
        ]),
    BadFile(
        name: "unknown-kind.yml",
        expected: [
            ExpectedError(3, 11, "providers[0].kind", #"unknown kind "opena" (did you mean "openai"?)"#),
            ExpectedError(4, 5, "providers[1].kind", "is required (one of openai, openrouter, anthropic"),
        ]),
    BadFile(
        name: "cloud-kinds.yml",
        expected: [
            ExpectedError(2, 5, "providers[0].base_url", "is required for kind azure: it has no default endpoint"),
            ExpectedError(5, 5, "providers[1].region", "is required for kind bedrock"),
            ExpectedError(7, 5, "providers[1].api_key_env", "kind bedrock takes no API key"),
            ExpectedError(12, 5, "providers[2].bearer_token_file", "api_key_env and bearer_token_file are both set"),
            ExpectedError(13, 18, "providers[2].api_version", "expected an Azure OpenAI API version such as 2024-10-21"),
            ExpectedError(16, 5, "providers[3].region", "is only for kind bedrock, not openai"),
            ExpectedError(19, 13, "providers[4].region", "expected an AWS region such as us-east-1"),
        ]),
    BadFile(
        name: "timeout-not-below-interval.yml",
        expected: [
            ExpectedError(2, 13, "global.interval", "timeout (10s, the default) must be shorter than interval (10s)"),
            ExpectedError(
                6, 14, "providers[0].timeout", "timeout (15s) must be shorter than interval (10s, from global.interval)"
            ),
            ExpectedError(
                9, 13, "providers[1].jitter", "jitter (30s) must be shorter than interval (10s, from global.interval)"),
        ]),
    BadFile(
        name: "score-and-buckets.yml",
        expected: [
            ExpectedError(2, 26, "global.latency_buckets[1]", "ascending order: 0.05 follows 0.1"),
            ExpectedError(2, 32, "global.latency_buckets[2]", "must be greater than 0, got -1"),
            ExpectedError(2, 36, "global.latency_buckets[3]", #"expected a number, got ".inf""#),
            ExpectedError(4, 5, "global.score", "at least one weight must be greater than 0"),
            ExpectedError(7, 19, "global.score.latency_good", "latency_good (10s) must be less than latency_bad (2s)"),
        ]),
    BadFile(
        name: "models-and-headers.yml",
        expected: [
            ExpectedError(6, 37, "providers[0].models[1].max_tokens", "must be at least 1, got 0"),
            ExpectedError(7, 9, "providers[0].models[2]", #"duplicate model "gpt-4o""#),
            ExpectedError(8, 9, "providers[0].models[3].name", "is required"),
            ExpectedError(9, 9, "providers[0].models[4]", "expected a model name or {name, max_tokens}, got a list"),
            ExpectedError(11, 7, "providers[0].headers.Bad Header", #""Bad Header" is not a valid header name"#),
            ExpectedError(12, 16, "providers[0].headers.X-Title", "expected a string, got a list"),
        ]),
    // A status needs three results in the window: once for what every provider inherits, then at each
    // provider's own setting (the interval, or the probe budget that spaces probes wider).
    BadFile(
        name: "too-few-results-per-window.yml",
        expected: [
            ExpectedError(3, 13, "global.interval", "interval 2m spaces probes that far apart, room for 2 results per model in the 5m window; a status needs at least 3: shorten interval or lengthen global.window (providers[0] and every other provider that inherits it)"),
            ExpectedError(11, 15, "providers[2].interval", "room for 0 results per model"),
            ExpectedError(16, 26, "providers[3].max_probes_per_hour", "max_probes_per_hour 6 spaces probes 10m apart, room for 0 results"),
            ExpectedError(20, 26, "providers[4].max_probes_per_hour", "max_probes_per_hour 100 spaces probes 6m apart"),
        ]),
]

@Test(arguments: badFiles)
func badFileReportsEveryExpectedError(_ bad: BadFile) throws {
    let found = try errors(ofFile: "bad/\(bad.name)")
    #expect(found.count == bad.expected.count, "\(found.map(\.description).joined(separator: "\n"))")
    for (error, expected) in zip(found, bad.expected) {
        #expect(error.line == expected.line, "\(error)")
        #expect(error.column == expected.column, "\(error)")
        #expect(error.field == expected.field, "\(error)")
        #expect(error.message.contains(expected.message), "\(error) lacks \(expected.message)")
        #expect(error.file.hasSuffix("bad/\(bad.name)"), "\(error.file)")
    }
}

@Test func everyBadFileIsCovered() throws {
    let listed = try FileManager.default.contentsOfDirectory(atPath: try testdataPath("bad")).filter {
        $0.hasSuffix(".yml")
    }
    #expect(Set(listed) == Set(badFiles.map(\.name)))
}

@Test func errorDescriptionIsFileLineColumnFieldMessage() throws {
    let yaml = try String(contentsOfFile: try testdataPath("bad/several-errors.yml"), encoding: .utf8)
    do {
        _ = try parseConfiguration(yaml: yaml, filename: "config.yml")
        Issue.record("expected errors")
    } catch {
        #expect(
            error.description == """
                config.yml:4:3: global.windw: unknown field "windw" (did you mean "window"?)
                config.yml:10:15: providers[1].base_url: "ftp//x" is not an http(s) URL
                """)
    }
}

@Test func errorWithoutPositionOrFieldLeavesThemOut() {
    let error = ConfigError(file: "config.yml", line: 0, column: 0, field: "", message: "the configuration is empty")
    #expect(error.description == "config.yml: the configuration is empty")
}

@Test func unreadableFilesAreOneErrorNamingTheFile() throws {
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let missing = directory.appendingPathComponent("nope.yml").path
    for (path, reason) in [(missing, "no such file"), (directory.path, "is a directory")] {
        do {
            _ = try loadConfiguration(path: path)
            Issue.record("expected an error for \(path)")
        } catch {
            #expect(error.errors.count == 1)
            #expect(error.errors.first?.file == path)
            #expect(error.errors.first?.message == "cannot read configuration: \(reason)")
        }
    }
}

@Test func emptyTextAndNullDocumentAreEmpty() {
    for yaml in ["", "\n\n", "~\n", "# only a comment\n"] {
        let found = errors(ofYAML: yaml)
        #expect(found.map(\.message) == ["the configuration is empty"], "\(yaml.debugDescription)")
    }
}

@Test func rootMustBeAMapping() {
    let found = errors(ofYAML: "- name: openai\n  kind: openai\n")
    #expect(found.map(\.message) == ["expected a mapping, got a list"])
    #expect(found.first?.line == 1)
}

@Test func unknownRootKeyIsAnErrorButXPrefixedKeysAreFree() {
    let found = errors(ofYAML: "x-anchors: {a: 1}\nprovider:\n  - name: a\n")
    #expect(found.count == 1)
    #expect(found.first?.field == "provider")
    #expect(found.first?.message == #"unknown field "provider" (did you mean "providers"?)"#)
    #expect(found.first?.line == 2)
}

@Test func unknownKeyFarFromAnyKnownOneHasNoSuggestion() {
    let found = errors(ofYAML: "providers:\n  - {name: a, kind: openai, colour: blue}\n")
    #expect(found.map(\.message) == [#"unknown field "colour""#])
}

@Test func missingNameAndEmptyNameAreReported() {
    let found = errors(ofYAML: "providers:\n  - kind: openai\n  - {name: '  ', kind: openai}\n")
    #expect(found.map(\.field) == ["providers[0].name", "providers[1].name"])
    #expect(found.map(\.message) == ["is required", "must not be empty"])
}

@Test func multipleDocumentsAreRejected() {
    let found = errors(ofYAML: "providers: []\n---\nproviders: []\n")
    #expect(found.count == 1)
    #expect(found.first?.message.hasPrefix("invalid YAML") == true)
    #expect(found.first?.line == 2)
}

@Test func baseURLWithCredentialsIsRejectedWithoutEchoingThem() {
    let found = errors(
        ofYAML: "providers:\n  - {name: a, kind: openai, base_url: 'https://user:hunter2@x.example/v1'}\n")
    #expect(found.count == 1)
    #expect(found.first?.message.contains("credentials") == true)
    #expect(!found.description.contains("hunter2"))
}

@Test func proxyURLErrorsNeverEchoTheURL() throws {
    let found = try errors(ofFile: "bad/proxy-url.yml")
    #expect(found.count == 4)
    #expect(!found.description.contains("canary-pw-31337"))
    #expect(!found.description.contains("proxy.internal"))
}

@Test func windowShorterThanAggregationIntervalIsAnError() {
    let found = errors(ofYAML: "global:\n  aggregation_interval: 1m\n  window: 30s\n")
    #expect(found.map(\.field) == ["global.window"])
    #expect(found.first?.message == "window (30s) must not be shorter than aggregation_interval (1m)")
}

/// Found by the config fuzz target (seed inputs): a duration past Int.max seconds crashed the window check's message
/// (and GET /config), and one of hundreds of digits was accepted as an infinite interval.
@Test func overlongDurationsAreLocatedErrors() {
    let found = errors(
        ofYAML: "global:\n  aggregation_interval: 10000000000000000000s\nproviders:\n"
            + "  - {name: a, kind: openai, interval: \(String(repeating: "9", count: 400))s, timeout: 101y}\n")
    #expect(found.map(\.field) == ["global.aggregation_interval", "providers[0].interval", "providers[0].timeout"])
    #expect(found.map(\.line) == [2, 4, 4])
    #expect(found.first?.message == #"must be at most 100y, got "10000000000000000000s""#)
    #expect(found.dropFirst().first?.message.hasPrefix("expected a duration such as 30s or 1m30s") == true)
    #expect(found.last?.message == #"must be at most 100y, got "101y""#)
}

/// Found by the config fuzz target once its Swift code was instrumented: 2,560 `[` overflowed the composer's stack.
@Test func collectionsNestedTooDeeplyAreALocatedError() {
    for (open, close) in [("[", "]"), ("{a: ", "}")] {
        let deep = "providers: []\nx-deep: " + String(repeating: open, count: 5_000) + "\n"
        let found = errors(ofYAML: deep)
        #expect(found.count == 1, "\(open)")
        #expect(found.first?.message.contains("found a collection nested more than 64 levels deep") == true, "\(found)")
        #expect(found.first?.line == 2, "\(found)")
        // 64 levels are fine: the value of x-deep is the first level.
        let allowed = "x-deep: " + String(repeating: open, count: 63) + "1" + String(repeating: close, count: 63) + "\n"
        #expect(throws: Never.self) { try parseConfiguration(yaml: allowed, filename: "deep.yml") }
    }
}

/// Found by the config fuzz target (a timeout on a hand-written input): nested aliases ("billion laughs") used as a
/// mapping key made composing hash 9^8 nodes.
@Test func aliasBombsAreRefusedQuickly() {
    var lines = ["x-0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in 1...8 {
        lines.append("x-\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", ") + "]")
    }
    let clock = ContinuousClock()
    for tail in ["global: {? *a8 : 1}", "providers: *a8", "x-k: {*a8 : 1}"] {
        var found: [ConfigError] = []
        let elapsed = clock.measure { found = errors(ofYAML: (lines + [tail]).joined(separator: "\n") + "\n") }
        #expect(found.map(\.message) == ["aliases expand the configuration to more than 100000 nodes"], "\(tail)")
        // The second *a4 of line 6 passes the limit: twice the 66,430 nodes of a4.
        #expect(found.first?.line == 6 && found.first?.column == 16, "\(found)")
        #expect(elapsed < .seconds(2), "\(tail): \(elapsed)")
    }
    // Below the limit, aliases are fine: 1,000 nodes used 50 times.
    let big = "x-a: &a [" + Array(repeating: "lol", count: 1_000).joined(separator: ",") + "]\n"
    let uses = "x-b: [" + Array(repeating: "*a", count: 50).joined(separator: ", ") + "]\n"
    #expect(throws: Never.self) { try parseConfiguration(yaml: big + uses, filename: "big.yml") }
}

/// Found by fuzzing: a key holding a line break went into the field path as it was, so its error printed as two lines
/// of `--config.check` output.
@Test func keysWithLineBreaksKeepEachErrorOnOneLine() {
    let found = errors(ofYAML: "providers:\n  - {name: a, kind: openai, \"kin\\nGEMINI_API_KEY\": x, \"\\x85\\u2028\": y}\n")
    #expect(found.map(\.field) == [#"providers[0]."kin\nGEMINI_API_KEY""#, #"providers[0]."\u0085\u2028""#])
    for error in found {
        #expect(!error.description.unicodeScalars.contains { $0 == "\n" || $0 == "\r" || needsYAMLEscape($0) })
    }
}

@Test func allThreeKeySourcesAreReportedOnce() {
    let found = errors(
        ofYAML: "providers:\n  - {name: a, kind: openai, api_key_env: A, api_key_file: /f, api_key: inline}\n")
    #expect(found.map(\.message) == ["api_key_env, api_key_file and api_key are all set; set only one of them"])
}

@Test func apiKeyEnvMustBeAVariableName() {
    let found = errors(ofYAML: "providers:\n  - {name: a, kind: openai, api_key_env: 'MY-KEY'}\n")
    #expect(found.map(\.message) == [#""MY-KEY" is not a valid environment variable name"#])
}

@Test func reservedModelNameIsRejected() {
    let found = errors(ofYAML: "providers:\n  - {name: a, kind: openai, models: ['*']}\n")
    #expect(found.first?.message.contains("reserved") == true)
}

@Test func headerValuesMustNotContainLineBreaksAndNamesMustBeUnique() {
    let yaml = "providers:\n  - name: a\n    kind: openai\n    headers: {X-A: \"1\\r\\nX-B: 2\", x-a: b}\n"
    let found = errors(ofYAML: yaml)
    #expect(
        found.map(\.message) == [
            "header values must not contain line breaks", "duplicate header (header names are case-insensitive)",
        ])
}
