import HealthCore

/// A value together with where it was set, so cross-field checks can point at the right line.
struct Sourced {
    var value: Double
    /// The key as written in YAML, for messages.
    var name: String
    /// Field path that set it; empty for a built-in default.
    var path: String = ""
    var node: Node?
}

/// Settings every provider inherits from `global` unless it sets its own.
struct ProviderDefaults {
    var interval = Sourced(value: 60, name: "interval")
    var timeout = Sourced(value: 10, name: "timeout")
    var jitter = Sourced(value: 5, name: "jitter")
    var maxProbesPerHour = 600
    var completionProbe = false
    var thresholds = StatusThresholds()
    var breaker = BreakerSettings()
    /// Not inherited, but every provider's probes must fit it: kept here with where it was set.
    var window = Sourced(value: GlobalSettings().windowSeconds, name: "window")
    var maxProbesPerHourEntry: Entry?
}

let rootKeys = ["global", "providers"]
let globalKeys = [
    "aggregation_interval", "window", "latency_buckets", "model_histograms", "probe_concurrency",
    "interval", "timeout", "jitter", "max_probes_per_hour", "completion_probe", "thresholds", "score", "breaker",
    "status_hold_cycles",
]
let thresholdKeys = ["error_rate", "p95_latency", "completion_p95_latency", "rate_limit_remaining"]
let scoreKeys = ["availability_weight", "error_rate_weight", "latency_weight", "latency_good", "latency_bad"]
let breakerKeys = ["failure_threshold", "open_duration", "success_threshold"]

/// Turns a composed YAML tree into an `ExporterConfiguration`, collecting every problem on the way.
struct ConfigurationParser {
    var reader: NodeReader
    /// A window too short for the probes every provider inherits is reported once, not once per provider.
    var reportedWindowSpacing = false

    init(file: String) {
        reader = NodeReader(file: file)
    }

    mutating func parse(_ root: Node) -> ExporterConfiguration {
        // Top-level `x-` keys are free-form, a place to define anchors (as in Compose files).
        guard let fields = reader.fields(root, path: "", allowed: rootKeys, ignoredPrefix: "x-") else {
            return ExporterConfiguration()
        }
        var configuration = ExporterConfiguration()
        var defaults = ProviderDefaults()
        if let global = fields["global"] {
            parseGlobal(global, into: &configuration.global, defaults: &defaults)
        }
        if let providers = fields["providers"] {
            configuration.providers = parseProviders(providers, defaults: defaults)
        }
        return configuration
    }

    // MARK: global

    private mutating func parseGlobal(
        _ entry: Entry, into global: inout GlobalSettings, defaults: inout ProviderDefaults
    ) {
        guard let fields = reader.fields(entry.value, path: entry.path, allowed: globalKeys) else { return }
        if let e = fields["aggregation_interval"], let value = reader.duration(e) {
            global.aggregationIntervalSeconds = value
        }
        if let e = fields["window"], let value = reader.duration(e) {
            global.windowSeconds = value
            defaults.window = Sourced(value: value, name: "window", path: e.path, node: e.value)
        }
        if global.windowSeconds < global.aggregationIntervalSeconds {
            let culprit = fields["window"] ?? fields["aggregation_interval"]
            reader.report(
                culprit?.value, culprit?.path ?? entry.path,
                "window (\(renderDuration(global.windowSeconds))) must not be shorter than aggregation_interval "
                    + "(\(renderDuration(global.aggregationIntervalSeconds)))")
        }
        if let e = fields["latency_buckets"], let buckets = parseBuckets(e) { global.latencyBuckets = buckets }
        if let e = fields["model_histograms"], let value = reader.bool(e) { global.modelHistograms = value }
        if let e = fields["probe_concurrency"], let value = reader.int(e, minimum: 1) {
            global.probeConcurrency = value
        }
        if let e = fields["score"] { global.score = parseScore(e, base: global.score) }
        if let e = fields["status_hold_cycles"], let value = reader.int(e, minimum: 1) {
            global.statusHoldCycles = value
        }

        parseTiming(fields, into: &defaults.interval, &defaults.timeout, &defaults.jitter)
        checkTiming(interval: defaults.interval, timeout: defaults.timeout, jitter: defaults.jitter, level: entry.path)
        if let e = fields["max_probes_per_hour"], let value = reader.int(e, minimum: 1) {
            defaults.maxProbesPerHour = value
            defaults.maxProbesPerHourEntry = e
        }
        if let e = fields["completion_probe"], let value = reader.bool(e) { defaults.completionProbe = value }
        if let e = fields["thresholds"] { defaults.thresholds = parseThresholds(e, base: defaults.thresholds) }
        if let e = fields["breaker"] { defaults.breaker = parseBreaker(e, base: defaults.breaker) }
    }

    /// Ascending, positive, finite bucket bounds; nil when any is wrong.
    private mutating func parseBuckets(_ entry: Entry) -> [Double]? {
        guard let items = reader.sequence(entry) else { return nil }
        guard !items.isEmpty else {
            reader.report(entry.value, entry.path, "must list at least one bucket")
            return nil
        }
        var buckets: [Double] = []
        var valid = true
        for (index, item) in items.enumerated() {
            let path = "\(entry.path)[\(index)]"
            guard let value = reader.number(item, path: path) else {
                valid = false
                continue
            }
            if value <= 0 {
                reader.report(item, path, "must be greater than 0, got \(formatNumber(value))")
                valid = false
            } else if let last = buckets.last, value <= last {
                reader.report(
                    item, path,
                    "buckets must be in ascending order: \(formatNumber(value)) follows \(formatNumber(last))")
                valid = false
            }
            buckets.append(value)
        }
        return valid ? buckets : nil
    }

    // MARK: blocks shared by global and providers

    /// Reads interval, timeout and jitter of one level over the inherited values.
    mutating func parseTiming(
        _ fields: Fields, into interval: inout Sourced, _ timeout: inout Sourced, _ jitter: inout Sourced
    ) {
        for (key, allowZero) in [("interval", false), ("timeout", false), ("jitter", true)] {
            guard let e = fields[key], let value = reader.duration(e, allowZero: allowZero) else { continue }
            let sourced = Sourced(value: value, name: key, path: e.path, node: e.value)
            switch key {
            case "interval": interval = sourced
            case "timeout": timeout = sourced
            default: jitter = sourced
            }
        }
    }

    /// A probe must finish, and its jitter must elapse, within one interval. Checked only at the level that set
    /// one of the values, so an error in `global` is reported once rather than once per provider.
    mutating func checkTiming(interval: Sourced, timeout: Sourced, jitter: Sourced, level: String) {
        requireShorter(timeout, than: interval, level: level)
        if jitter.value > 0 { requireShorter(jitter, than: interval, level: level) }
    }

    private mutating func requireShorter(_ short: Sourced, than long: Sourced, level: String) {
        let prefix = level + "."
        let shortHere = short.path.hasPrefix(prefix)
        let longHere = long.path.hasPrefix(prefix)
        guard shortHere || longHere, short.value >= long.value else { return }
        func render(_ value: Sourced, here: Bool) -> String {
            let origin = here ? "" : (value.path.isEmpty ? ", the default" : ", from \(value.path)")
            return "\(value.name) (\(renderDuration(value.value))\(origin))"
        }
        let culprit = shortHere ? short : long
        reader.report(
            culprit.node, culprit.path,
            "\(render(short, here: shortHere)) must be shorter than \(render(long, here: longHere))")
    }

    mutating func parseThresholds(_ entry: Entry, base: StatusThresholds) -> StatusThresholds {
        var thresholds = base
        guard let fields = reader.fields(entry.value, path: entry.path, allowed: thresholdKeys) else { return base }
        if let e = fields["error_rate"], let value = reader.ratio(e) { thresholds.errorRate = value }
        if let e = fields["p95_latency"], let value = reader.duration(e) { thresholds.p95LatencySeconds = value }
        if let e = fields["completion_p95_latency"], let value = reader.duration(e) {
            thresholds.completionP95LatencySeconds = value
        }
        if let e = fields["rate_limit_remaining"], let value = reader.ratio(e) {
            thresholds.rateLimitRemainingRatio = value
        }
        return thresholds
    }

    mutating func parseBreaker(_ entry: Entry, base: BreakerSettings) -> BreakerSettings {
        var breaker = base
        guard let fields = reader.fields(entry.value, path: entry.path, allowed: breakerKeys) else { return base }
        if let e = fields["failure_threshold"], let value = reader.int(e, minimum: 1) {
            breaker.failureThreshold = value
        }
        if let e = fields["open_duration"], let value = reader.duration(e) { breaker.openSeconds = value }
        if let e = fields["success_threshold"], let value = reader.int(e, minimum: 1) {
            breaker.successThreshold = value
        }
        return breaker
    }

    private mutating func parseScore(_ entry: Entry, base: ScoreSettings) -> ScoreSettings {
        var score = base
        guard let fields = reader.fields(entry.value, path: entry.path, allowed: scoreKeys) else { return base }
        if let e = fields["availability_weight"], let value = reader.weight(e) { score.availabilityWeight = value }
        if let e = fields["error_rate_weight"], let value = reader.weight(e) { score.errorRateWeight = value }
        if let e = fields["latency_weight"], let value = reader.weight(e) { score.latencyWeight = value }
        if score.availabilityWeight + score.errorRateWeight + score.latencyWeight == 0 {
            reader.report(entry.value, entry.path, "at least one weight must be greater than 0")
        }
        if let e = fields["latency_good"], let value = reader.duration(e, allowZero: true) {
            score.latencyGoodSeconds = value
        }
        if let e = fields["latency_bad"], let value = reader.duration(e) { score.latencyBadSeconds = value }
        if score.latencyGoodSeconds >= score.latencyBadSeconds {
            let culprit = fields["latency_good"] ?? fields["latency_bad"]
            reader.report(
                culprit?.value ?? entry.value, culprit?.path ?? entry.path,
                "latency_good (\(renderDuration(score.latencyGoodSeconds))) must be less than latency_bad "
                    + "(\(renderDuration(score.latencyBadSeconds)))")
        }
        return score
    }
}
