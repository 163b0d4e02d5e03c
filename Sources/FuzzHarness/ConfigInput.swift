import ExporterConfig
import HealthCore

/// The name the configuration inputs are parsed under; every error must name it.
public let fuzzConfigFilename = "fuzz.yml"

/// Parses `bytes` as a configuration file and returns every broken invariant (empty when all hold).
///
/// A rejected file must give at least one error, each a single line, naming the file and a position inside
/// the text (only "the configuration is empty" has none), in document order. An accepted file must hold only
/// values the exporter can run with, and its `GET /config` rendering must parse back into the same configuration.
public func checkConfigInput(_ bytes: [UInt8]) -> [String] {
    // A file is read as UTF-8 (anything else is refused before parsing); invalid bytes become U+FFFD here.
    let text = String(decoding: bytes, as: UTF8.self)
    do {
        let config = try parseConfiguration(yaml: text, filename: fuzzConfigFilename)
        var problems = acceptedConfigProblems(config)
        problems += roundTripProblems(config)
        return problems
    } catch {
        return rejectedConfigProblems(error.errors, text: text)
    }
}

func rejectedConfigProblems(_ errors: [ConfigError], text: String) -> [String] {
    guard !errors.isEmpty else { return ["rejected with no error"] }
    // YAML line breaks: LF, CR, CRLF, and (YAML 1.1, as libyaml reads it) NEL, LS, PS.
    let breaks = text.unicodeScalars.reduce(0) { count, scalar in
        ["\n", "\r", "\u{85}", "\u{2028}", "\u{2029}"].contains(scalar) ? count + 1 : count
    }
    var problems: [String] = []
    var previous = (0, 0)
    for error in errors {
        let shown = String(reflecting: error.description)
        if error.file != fuzzConfigFilename { problems.append("error names file \(error.file): \(shown)") }
        if error.message.isEmpty { problems.append("error without a message: \(shown)") }
        // `--config.check` prints one line per error: no line break, no control character (C0, DEL, C1, U+2028/9).
        if error.description.unicodeScalars.contains(where: {
            $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0 == "\u{2028}" || $0 == "\u{2029}"
        }) {
            problems.append("error is not one line: \(shown)")
        }
        if error.message == "the configuration is empty" {
            if errors.count != 1 { problems.append("an empty configuration with other errors: \(shown)") }
        } else if error.line < 1 || error.column < 1 {
            problems.append("error without a line and column: \(shown)")
        } else if error.line > breaks + 2 {
            problems.append("error at line \(error.line) of a text with \(breaks + 1) lines: \(shown)")
        }
        if (error.line, error.column) < previous { problems.append("errors out of document order at \(shown)") }
        previous = (error.line, error.column)
    }
    return problems
}

func acceptedConfigProblems(_ config: ExporterConfiguration) -> [String] {
    var problems: [String] = []
    func require(_ condition: Bool, _ what: @autoclosure () -> String) {
        if !condition { problems.append(what()) }
    }
    func isDuration(_ seconds: Double, allowZero: Bool = false) -> Bool {
        seconds.isFinite && (seconds > 0 || (allowZero && seconds == 0))
    }
    let global = config.global
    require(isDuration(global.aggregationIntervalSeconds), "aggregation_interval \(global.aggregationIntervalSeconds)")
    require(isDuration(global.windowSeconds), "window \(global.windowSeconds)")
    require(global.windowSeconds >= global.aggregationIntervalSeconds, "window shorter than aggregation_interval")
    require(!global.latencyBuckets.isEmpty, "no latency buckets")
    require(global.latencyBuckets.allSatisfy { $0.isFinite && $0 > 0 }, "bucket bounds \(global.latencyBuckets)")
    require(zip(global.latencyBuckets, global.latencyBuckets.dropFirst()).allSatisfy { $0 < $1 },
        "buckets not ascending: \(global.latencyBuckets)")
    require(global.probeConcurrency >= 1, "probe_concurrency \(global.probeConcurrency)")
    require(global.statusHoldCycles >= 1, "status_hold_cycles \(global.statusHoldCycles)")
    let score = global.score
    let weights = [score.availabilityWeight, score.errorRateWeight, score.latencyWeight]
    require(weights.allSatisfy { $0.isFinite && $0 >= 0 } && weights.reduce(0, +) > 0, "score weights \(weights)")
    require(isDuration(score.latencyGoodSeconds, allowZero: true), "latency_good \(score.latencyGoodSeconds)")
    require(isDuration(score.latencyBadSeconds), "latency_bad \(score.latencyBadSeconds)")
    require(score.latencyGoodSeconds < score.latencyBadSeconds, "latency_good not below latency_bad")

    var names = Set<String>()
    for provider in config.providers {
        let p = "provider \(String(reflecting: provider.name))"
        require(!provider.name.isEmpty, "a provider without a name")
        require(names.insert(provider.name).inserted, "\(p) twice")
        let scheme = provider.baseURL.prefix { $0 != ":" }.lowercased()
        require(scheme == "http" || scheme == "https", "\(p): base_url \(String(reflecting: provider.baseURL))")
        require(isDuration(provider.intervalSeconds), "\(p): interval \(provider.intervalSeconds)")
        require(isDuration(provider.timeoutSeconds), "\(p): timeout \(provider.timeoutSeconds)")
        require(isDuration(provider.jitterSeconds, allowZero: true), "\(p): jitter \(provider.jitterSeconds)")
        require(provider.timeoutSeconds < provider.intervalSeconds, "\(p): timeout not below interval")
        require(provider.jitterSeconds == 0 || provider.jitterSeconds < provider.intervalSeconds,
            "\(p): jitter not below interval")
        require(provider.maxProbesPerHour >= 1, "\(p): max_probes_per_hour \(provider.maxProbesPerHour)")
        let t = provider.thresholds
        require((0...1).contains(t.errorRate), "\(p): error_rate \(t.errorRate)")
        require((0...1).contains(t.rateLimitRemainingRatio), "\(p): rate_limit_remaining \(t.rateLimitRemainingRatio)")
        require(isDuration(t.p95LatencySeconds), "\(p): p95_latency \(t.p95LatencySeconds)")
        require(isDuration(t.completionP95LatencySeconds), "\(p): completion_p95_latency \(t.completionP95LatencySeconds)")
        require(global.windowSeconds / provider.probeSpacingSeconds >= 3, "\(p): fewer than 3 results per window")
        let b = provider.breaker
        require(b.failureThreshold >= 1 && b.successThreshold >= 1, "\(p): breaker thresholds")
        require(isDuration(b.openSeconds), "\(p): open_duration \(b.openSeconds)")
        var models = Set<String>()
        for model in provider.models {
            require(!model.name.isEmpty && model.name != wholeAPIModelName, "\(p): model \(String(reflecting: model.name))")
            require(models.insert(model.name).inserted, "\(p): model \(String(reflecting: model.name)) twice")
            require(model.maxTokens >= 1, "\(p): max_tokens \(model.maxTokens)")
        }
        for (name, value) in provider.headers {
            require(!name.isEmpty && name.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 0x20 && $0.value < 0x7F },
                "\(p): header name \(String(reflecting: name))")
            require(!value.unicodeScalars.contains { $0 == "\r" || $0 == "\n" || $0 == "\0" },
                "\(p): header value with a line break")
        }
    }
    return problems
}

/// `GET /config` promises YAML that parses back into the same configuration, secrets aside.
func roundTripProblems(_ config: ExporterConfiguration) -> [String] {
    let rendered = redactedDescription(config)
    let again: ExporterConfiguration
    do {
        again = try parseConfiguration(yaml: rendered, filename: "rendered.yml")
    } catch {
        return ["GET /config output does not parse: \(error.description)\n--- rendered:\n\(rendered)"]
    }
    var problems: [String] = []
    func same(_ a: Double, _ b: Double) -> Bool { a == b }
    let g1 = config.global, g2 = again.global
    if !same(g1.aggregationIntervalSeconds, g2.aggregationIntervalSeconds) || !same(g1.windowSeconds, g2.windowSeconds)
        || g1.latencyBuckets != g2.latencyBuckets || g1.modelHistograms != g2.modelHistograms
        || g1.probeConcurrency != g2.probeConcurrency || g1.statusHoldCycles != g2.statusHoldCycles
        || g1.score.availabilityWeight != g2.score.availabilityWeight
        || g1.score.errorRateWeight != g2.score.errorRateWeight || g1.score.latencyWeight != g2.score.latencyWeight
        || !same(g1.score.latencyGoodSeconds, g2.score.latencyGoodSeconds)
        || !same(g1.score.latencyBadSeconds, g2.score.latencyBadSeconds)
    {
        problems.append("global settings change through GET /config: \(g1) became \(g2)")
    }
    guard config.providers.count == again.providers.count else {
        return problems + ["\(config.providers.count) providers became \(again.providers.count) through GET /config"]
    }
    for (a, b) in zip(config.providers, again.providers) {
        var expectedKey = a.apiKey
        if case .inline = a.apiKey { expectedKey = .inline(Secret("<secret>")) }
        var expectedHeaders = a.headers
        for name in a.headers.keys where isSecretHeader(name) { expectedHeaders[name] = "<secret>" }
        let timingSame = same(a.intervalSeconds, b.intervalSeconds) && same(a.timeoutSeconds, b.timeoutSeconds)
            && same(a.jitterSeconds, b.jitterSeconds)
            && same(a.thresholds.p95LatencySeconds, b.thresholds.p95LatencySeconds)
            && same(a.thresholds.completionP95LatencySeconds, b.thresholds.completionP95LatencySeconds)
            && same(a.breaker.openSeconds, b.breaker.openSeconds)
        if a.name != b.name || a.kind != b.kind || a.baseURL != b.baseURL || expectedKey != b.apiKey
            || expectedHeaders != b.headers || a.models != b.models || !timingSame
            || a.completionProbe != b.completionProbe || a.maxProbesPerHour != b.maxProbesPerHour
            || a.thresholds.errorRate != b.thresholds.errorRate
            || a.thresholds.rateLimitRemainingRatio != b.thresholds.rateLimitRemainingRatio
            || a.breaker.failureThreshold != b.breaker.failureThreshold
            || a.breaker.successThreshold != b.breaker.successThreshold
        {
            problems.append("provider \(String(reflecting: a.name)) changes through GET /config")
        }
    }
    return problems
}

/// The header names `GET /config` hides, as ExporterConfig decides them.
private func isSecretHeader(_ name: String) -> Bool {
    let lower = name.lowercased()
    return ["auth", "key", "token", "secret", "cookie", "password", "credential", "session"]
        .contains(where: { lower.contains($0) })
}
