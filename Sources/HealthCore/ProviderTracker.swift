/// Everything the exporter accumulates about one provider between aggregation cycles: the window, each model's
/// outage evidence, the breaker, the probe budget, the cumulative histograms and counters, the status and its
/// hysteresis. A plain value; the store that owns it serialises access.
public struct ProviderTracker: Sendable {
    /// A wait a provider asked for when it refused for quota (429/402 with retry-after or Gemini's retryDelay).
    public struct QuotaPause: Sendable, Equatable {
        public var until: Double
        public var requestedSeconds: Double
    }

    public private(set) var settings: ProviderSettings
    public private(set) var window: ResultWindow
    public var breaker: CircuitBreaker
    public var budget: ProbeBudget
    public let latencyBuckets: [Double]
    public private(set) var histograms: [LatencySeries: LatencyHistogram] = [:]
    /// Per model, only operations about one model (completions, traffic): the model list latency is the provider's.
    public private(set) var modelHistograms: [String: [LatencySeries: LatencyHistogram]] = [:]
    /// Time to the first token, for the results that carry one (streamed gateway traffic); per model as above.
    public private(set) var firstTokenHistograms: [LatencySeries: LatencyHistogram] = [:]
    public private(set) var modelFirstTokenHistograms: [String: [LatencySeries: LatencyHistogram]] = [:]
    public private(set) var evidence: [String: ModelEvidence] = [:]
    /// The latency of each probe's check request in the window (one per probe, whatever the number of models).
    public private(set) var checkLatencies: [TimedLatency] = []
    public private(set) var resultsTotal: [ResultSource: UInt64] = [:]
    public private(set) var failuresTotal: [FailureKey: UInt64] = [:]
    public private(set) var probeRequestsTotal: UInt64 = 0
    public private(set) var lastProbeTimestamp: Double?
    /// The newest result's time, probe or traffic; it outlives the window, to say how old the status is.
    public private(set) var lastResultTimestamp: Double?
    /// The last probe's outcome, for on-demand checks that may answer from it.
    public private(set) var lastOutcome: ProbeOutcome?
    public private(set) var rateLimit: RateLimitSnapshot?
    public private(set) var rateLimitTimestamp: Double?
    public private(set) var quotaPause: QuotaPause?
    public private(set) var lastError: String?
    public private(set) var lastErrorTimestamp: Double?
    private var hysteresis = StatusHysteresis()
    public private(set) var statusChanges: [ProviderStatus: UInt64] = [:]
    /// When the tracker began: the first probe is due then.
    public let createdAt: Double

    public init(settings: ProviderSettings, global: GlobalSettings, createdAt: Double = 0) {
        self.settings = settings
        self.window = ResultWindow(lengthSeconds: global.windowSeconds)
        self.breaker = CircuitBreaker(settings: settings.breaker)
        self.budget = ProbeBudget(maxPerHour: settings.maxProbesPerHour)
        self.latencyBuckets = global.latencyBuckets
        self.createdAt = createdAt
        createKnownSeries()
    }

    /// The status of the last aggregation cycle, nil before the first.
    public var status: ProviderStatus? { hysteresis.reported }

    /// Distinct models with results in the window or configured.
    public var knownModelCount: Int { Set(window.models).union(settings.modelNames).count }

    /// The series known to exist before any result: the probe's check, and the completion probe when it is on.
    private mutating func createKnownSeries() {
        for operation in settings.probeOperations {
            let series = LatencySeries(source: .probe, operation: operation)
            if histograms[series] == nil { histograms[series] = LatencyHistogram(bounds: latencyBuckets) }
            guard operation.isPerModel else { continue }
            for model in settings.modelNames where modelHistograms[model]?[series] == nil {
                modelHistograms[model, default: [:]][series] = LatencyHistogram(bounds: latencyBuckets)
            }
        }
    }

    /// Adds one result (probe or traffic) to the window, the evidence, the histograms and the counters.
    public mutating func record(_ result: ModelResult) {
        record(result, observingLatency: true)
    }

    /// `observingLatency: false` for a probe's per-model copies of its check: the check is one request, observed
    /// once by `record(_:completedAt:)`.
    private mutating func record(_ result: ModelResult, observingLatency: Bool) {
        if !result.success, let reason = result.reason, reason.saysNothingAboutProvider {
            // Counted and shown as the last error, and nothing else: it is no evidence about the provider.
            resultsTotal[result.source, default: 0] += 1
            failuresTotal[FailureKey(source: result.source, reason: reason), default: 0] += 1
            if let error = result.error {
                lastError = error
                lastErrorTimestamp = result.timestamp
            }
            return
        }
        window.append(result)
        evidence[result.model, default: ModelEvidence()].observe(
            success: result.success, reason: result.reason, source: result.source)
        lastResultTimestamp = max(lastResultTimestamp ?? result.timestamp, result.timestamp)
        let series = LatencySeries(source: result.source, operation: result.operation)
        if observingLatency {
            histograms[series, default: LatencyHistogram(bounds: latencyBuckets)].observe(result.latencySeconds)
        }
        if result.operation.isPerModel {
            modelHistograms[result.model, default: [:]][series, default: LatencyHistogram(bounds: latencyBuckets)]
                .observe(result.latencySeconds)
        }
        if let firstToken = result.timeToFirstTokenSeconds {
            firstTokenHistograms[series, default: LatencyHistogram(bounds: latencyBuckets)].observe(firstToken)
            modelFirstTokenHistograms[result.model, default: [:]][
                series, default: LatencyHistogram(bounds: latencyBuckets)
            ].observe(firstToken)
        }
        resultsTotal[result.source, default: 0] += 1
        if !result.success, let reason = result.reason {
            failuresTotal[FailureKey(source: result.source, reason: reason), default: 0] += 1
            if let error = result.error {
                lastError = error
                lastErrorTimestamp = result.timestamp
            }
        }
    }

    /// Adds a probe outcome: its results, the breaker, the budget, the rate-limit state.
    public mutating func record(_ outcome: ProbeOutcome, completedAt now: Double) {
        // A probe sent to confirm a failure is evidence for the status, not a new failure for the breaker: the
        // breaker keeps counting the probes of the regular cadence.
        let confirming = awaitsConfirmation
        for result in outcome.results { record(result, observingLatency: result.operation.isPerModel) }
        let aboutTheProvider = outcome.reason?.saysNothingAboutProvider != true
        if aboutTheProvider, let seconds = outcome.checkLatencySeconds {
            histograms[LatencySeries(source: .probe, operation: .listModels), default: LatencyHistogram(bounds: latencyBuckets)]
                .observe(seconds)
            checkLatencies.append(TimedLatency(timestamp: outcome.timestamp, seconds: seconds))
        }
        probeRequestsTotal += UInt64(max(0, outcome.requestsSent))
        lastProbeTimestamp = outcome.timestamp
        lastOutcome = outcome
        budget.record(requests: outcome.requestsSent, at: outcome.timestamp)
        if !aboutTheProvider {
            // Neither an answer nor a failure of the provider: the breaker keeps its state.
        } else if outcome.providerReachable {
            breaker.recordSuccess(at: now)
        } else if !confirming {
            breaker.recordFailure(at: now)
        }
        if let limits = outcome.rateLimit, !limits.isEmpty {
            if limits.requestsRemainingRatio != nil || limits.tokensRemainingRatio != nil {
                rateLimit = limits
                rateLimitTimestamp = outcome.timestamp
            }
            if let wait = limits.retryAfterSeconds {
                budget.backOff(seconds: wait, from: now)
                if outcome.reason?.refusesForQuota == true, let until = budget.notBefore {
                    quotaPause = QuotaPause(until: until, requestedSeconds: wait)
                }
            }
        }
        if let error = outcome.error, outcome.reason != nil {
            lastError = error
            lastErrorTimestamp = outcome.timestamp
        }
    }

    /// Whether a quota wait lasts past the next regular probe: the provider has paused probing. A retry-after
    /// no longer than the interval is ordinary back-pressure and changes nothing.
    public func quotaPauseInForce(at now: Double) -> Bool {
        guard let quotaPause else { return false }
        return now < quotaPause.until && quotaPause.requestedSeconds > settings.intervalSeconds
    }

    /// The last probe's check failed (every configured model failed it) and the runs are too short for a
    /// verdict: the next probe confirms. Only while the breaker is closed; a half-open breaker sends its trials.
    public var awaitsConfirmation: Bool {
        guard let reason = lastOutcome?.reason, reason.countsTowardsOutage(source: .probe),
            breaker.storedState == .closed
        else { return false }
        let runs = settings.modelNames.map { evidence[$0] ?? ModelEvidence() }
        return runs.allSatisfy { $0.run > 0 } && runs.contains(where: \.awaitsConfirmation)
    }

    /// Seconds from the last probe to the confirming one: at once when nothing answered (a refused connection
    /// costs nothing), otherwise spread so that every confirmation an outage needs fits in one interval.
    public var confirmationDelay: Double? {
        guard awaitsConfirmation, let reason = lastOutcome?.reason else { return nil }
        if reason.isConnectionLevel { return 0 }
        let needed = settings.modelNames.map { (evidence[$0] ?? ModelEvidence()).requiredRun }.max() ?? 2
        return settings.intervalSeconds / Double(max(2, needed))
    }

    /// When the next probe is due: an interval (plus `jitter`) after the last one, sooner while a failure waits
    /// for confirmation, later while retry-after, the probe budget or an open breaker hold it back.
    public func nextProbeDue(jitter: Double = 0) -> Double {
        var due = lastProbeTimestamp.map { $0 + (confirmationDelay ?? settings.intervalSeconds + jitter) } ?? createdAt + jitter
        due = max(due, budget.nextAllowed(at: due))
        if breaker.state(at: due) == .open, let opened = breaker.openedAt {
            due = max(due, opened + breaker.settings.openSeconds)
        }
        return due
    }

    /// Rolls the window up at `now`, applies the hysteresis and remembers the status; returns the provider's
    /// report of this cycle and whether the reported status changed.
    public mutating func aggregate(now: Double, score: ScoreSettings, holdCycles: Int) -> (
        report: ProviderReport, changedFrom: ProviderStatus??
    ) {
        window.expire(now: now)
        checkLatencies.removeAll { $0.timestamp < now - window.lengthSeconds }
        // A rate-limit reading older than the window no longer describes the provider.
        let freshLimits = rateLimitTimestamp.map { now - $0 <= window.lengthSeconds } == true ? rateLimit : nil
        var rollup = rollUp(
            provider: settings.name, window: window,
            context: RollupContext(
                configuredModels: settings.modelNames, evidence: evidence, checkLatencies: checkLatencies,
                breaker: breaker, rateLimit: freshLimits,
                quotaPauseInForce: quotaPauseInForce(at: now), probeOperations: settings.probeOperations,
                thresholds: settings.thresholds, score: score),
            now: now)
        rollup.lastResultTimestamp = lastResultTimestamp
        let previous = hysteresis.reported
        let atOnce = rollup.candidate == .unauthorized || (rollup.candidate == .down && rollup.outageSeenByProbes)
        // While a failed check waits for its confirmation (within one interval) the status waits too: the
        // failures so far may yet be an outage, and `degraded` on the way to `down` would be one change too many.
        let candidate = awaitsConfirmation && !atOnce ? nil : rollup.candidate
        rollup.status = hysteresis.update(candidate: candidate, holdCycles: holdCycles, atOnce: atOnce)
        var changedFrom: ProviderStatus??
        if previous != rollup.status {
            changedFrom = .some(previous)
            statusChanges[rollup.status, default: 0] += 1
        }
        return (report(of: rollup, at: now), changedFrom)
    }

    private func report(of rollup: ProviderRollup, at now: Double) -> ProviderReport {
        ProviderReport(
            settings: settings, rollup: rollup, histograms: histograms, modelHistograms: modelHistograms,
            firstTokenHistograms: firstTokenHistograms, modelFirstTokenHistograms: modelFirstTokenHistograms,
            resultsTotal: resultsTotal, failuresTotal: failuresTotal, probeRequestsTotal: probeRequestsTotal,
            statusChanges: statusChanges, lastProbeTimestamp: lastProbeTimestamp, nextProbeDue: settings.probed ? nextProbeDue() : nil,
            retryAfterUntil: budget.notBefore.flatMap { $0 > now ? $0 : nil }, lastError: lastError,
            lastErrorTimestamp: lastErrorTimestamp)
    }

    /// Applies new settings for the same provider name, keeping window, evidence, breaker and counters.
    public mutating func reconfigure(_ newSettings: ProviderSettings) {
        if newSettings.models != settings.models {
            let keep = Set(newSettings.modelNames)
            window.retainModels(keep)
            modelHistograms = modelHistograms.filter { keep.contains($0.key) }
            modelFirstTokenHistograms = modelFirstTokenHistograms.filter { keep.contains($0.key) }
            evidence = evidence.filter { keep.contains($0.key) }
        }
        breaker.settings = newSettings.breaker
        budget.maxPerHour = newSettings.maxProbesPerHour
        settings = newSettings
        createKnownSeries()
    }
}
