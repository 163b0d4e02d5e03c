import HealthCore
import Probing

/// The effective configuration as YAML, for `GET /config`: every provider with the values it really uses, and
/// every secret (inline keys, credential headers) shown as `<secret>`. It parses back into the same
/// configuration, secrets aside.
public func redactedDescription(_ config: ExporterConfiguration) -> String {
    let global = config.global
    let score = global.score
    var lines = [
        "global:",
        "  aggregation_interval: \(renderDuration(global.aggregationIntervalSeconds))",
        "  window: \(renderDuration(global.windowSeconds))",
        "  latency_buckets: [\(global.latencyBuckets.map(formatNumber).joined(separator: ", "))]",
        "  model_histograms: \(global.modelHistograms)",
        "  probe_concurrency: \(global.probeConcurrency)",
        "  status_hold_cycles: \(global.statusHoldCycles)",
        "  score: {availability_weight: \(formatNumber(score.availabilityWeight)), "
            + "error_rate_weight: \(formatNumber(score.errorRateWeight)), "
            + "latency_weight: \(formatNumber(score.latencyWeight)), "
            + "latency_good: \(renderDuration(score.latencyGoodSeconds)), "
            + "latency_bad: \(renderDuration(score.latencyBadSeconds))}",
    ]
    if config.providers.isEmpty {
        lines.append("providers: []")
    } else {
        lines.append("providers:")
        for provider in config.providers { lines += providerLines(provider) }
    }
    return lines.joined(separator: "\n") + "\n"
}

private func providerLines(_ provider: ProviderSettings) -> [String] {
    var lines = [
        "  - name: \(quoted(provider.name))",
        "    kind: \(provider.kind.rawValue)",
        "    base_url: \(quoted(provider.baseURL))",
    ]
    if !provider.aliases.isEmpty {
        lines.append("    aliases: [\(provider.aliases.map(quoted).joined(separator: ", "))]")
    }
    // The proxy's password shows as <secret>; its user, host and port as they are.
    if let proxyURL = provider.proxyURL {
        let shown = (try? ProbeProxy.parse(proxyURL.value).get())?.description ?? "<secret>"
        lines.append("    proxy_url: \(quoted(shown))")
    }
    // A kind's own settings are never secrets: versions, regions, profile names and paths (like api_key_file).
    for (key, value) in provider.kindOptions.sorted(by: { $0.key < $1.key }) {
        lines.append("    \(key): \(quoted(value))")
    }
    switch provider.apiKey {
    case .none: break
    case .environment(let name): lines.append("    api_key_env: \(quoted(name))")
    case .file(let path): lines.append("    api_key_file: \(quoted(path))")
    case .inline: lines.append("    api_key: \(quoted("<secret>"))")
    }
    if !provider.headers.isEmpty {
        lines.append("    headers:")
        for (name, value) in provider.headers.sorted(by: { $0.key < $1.key }) {
            lines.append("      \(quoted(name)): \(quoted(isSecretHeaderName(name) ? "<secret>" : value))")
        }
    }
    if provider.models.isEmpty {
        lines.append("    models: []")
    } else {
        lines.append("    models:")
        for model in provider.models {
            lines.append("      - {name: \(quoted(model.name)), max_tokens: \(model.maxTokens)}")
        }
    }
    let thresholds = provider.thresholds
    let breaker = provider.breaker
    lines += [
        "    interval: \(renderDuration(provider.intervalSeconds))",
        "    timeout: \(renderDuration(provider.timeoutSeconds))",
        "    jitter: \(renderDuration(provider.jitterSeconds))",
        "    completion_probe: \(provider.completionProbe)",
        "    max_probes_per_hour: \(provider.maxProbesPerHour)",
        "    thresholds: {error_rate: \(formatNumber(thresholds.errorRate)), "
            + "p95_latency: \(renderDuration(thresholds.p95LatencySeconds)), "
            + "completion_p95_latency: \(renderDuration(thresholds.completionP95LatencySeconds)), "
            + "rate_limit_remaining: \(formatNumber(thresholds.rateLimitRemainingRatio))}",
        "    breaker: {failure_threshold: \(breaker.failureThreshold), "
            + "open_duration: \(renderDuration(breaker.openSeconds)), "
            + "success_threshold: \(breaker.successThreshold)}",
    ]
    return lines
}

/// A duration that parses back to exactly the same value: `1m30s` for whole seconds, `1500ms` for whole
/// milliseconds, else plain seconds with as many digits as that takes (`0.00015`).
func renderDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, abs(seconds) < 1e15 else { return "\(seconds)" }
    if seconds == seconds.rounded() { return formatDuration(seconds) }
    let milliseconds = (seconds * 1000).rounded()
    if milliseconds / 1000 == seconds { return "\(Int(milliseconds))ms" }
    return "\(seconds)"
}
