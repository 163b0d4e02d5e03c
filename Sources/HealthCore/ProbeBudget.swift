/// Caps the probe requests sent to one provider per rolling hour, and honours a provider's retry-after.
public struct ProbeBudget: Sendable, Equatable {
    public var maxPerHour: Int
    /// Send times (Unix seconds) of probe requests within the last hour, oldest first.
    private var sent: [Double] = []
    /// No probing before this time (set from retry-after / Gemini retryDelay).
    public private(set) var notBefore: Double?

    public init(maxPerHour: Int) {
        self.maxPerHour = maxPerHour
    }

    /// Requests sent in the hour before `now`.
    public func used(at now: Double) -> Int { sent.count(where: { $0 > now - 3600 }) }

    /// Whether `requests` more probe requests may be sent at `now`.
    public func allows(_ requests: Int = 1, at now: Double) -> Bool {
        if let notBefore, now < notBefore { return false }
        return used(at: now) + requests <= maxPerHour
    }

    /// The earliest time a probe may be sent (retry-after, or when the oldest request leaves the hour).
    public func nextAllowed(at now: Double) -> Double {
        var next = now
        if let notBefore, notBefore > next { next = notBefore }
        let live = sent.filter { $0 > now - 3600 }
        if live.count >= maxPerHour, let oldest = live.first { next = max(next, oldest + 3600) }
        return next
    }

    public mutating func record(requests: Int, at now: Double) {
        sent.removeAll { $0 <= now - 3600 }
        sent.append(contentsOf: repeatElement(now, count: max(0, requests)))
    }

    /// Honour a provider's request to wait `seconds` from `now`.
    public mutating func backOff(seconds: Double, from now: Double) {
        guard seconds.isFinite, seconds > 0 else { return }
        // Bounded so that a hostile header cannot silence probing for days.
        let until = now + min(seconds, 3600)
        notBefore = max(notBefore ?? 0, until)
    }
}
