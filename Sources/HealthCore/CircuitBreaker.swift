/// A per-provider circuit breaker driven by provider-level probe outcomes.
///
/// closed → open after `failureThreshold` consecutive failures; open → half-open once `openSeconds` have
/// passed; half-open → closed after `successThreshold` consecutive successes; half-open → open on any failure.
/// Time is passed in (Unix seconds), so tests drive it with an injected clock.
public struct CircuitBreaker: Sendable, Equatable {
    public enum State: String, Sendable, CaseIterable, Codable {
        case closed
        case halfOpen = "half_open"
        case open
    }

    public var settings: BreakerSettings
    public private(set) var storedState: State = .closed
    /// Consecutive failures (the `provider_consecutive_failures` gauge); reset by a success.
    public private(set) var consecutiveFailures = 0
    /// Consecutive successes while half-open.
    public private(set) var consecutiveSuccesses = 0
    public private(set) var openedAt: Double?

    public init(settings: BreakerSettings = BreakerSettings()) {
        self.settings = settings
    }

    /// The state at `now`: an open breaker whose wait is over reads as half-open.
    public func state(at now: Double) -> State {
        if storedState == .open, let openedAt, now - openedAt >= settings.openSeconds { return .halfOpen }
        return storedState
    }

    /// Whether a probe may be sent now. Open: no. Half-open: yes — the scheduler sends one trial at a time.
    public func allowsProbe(at now: Double) -> Bool { state(at: now) != .open }

    public mutating func recordSuccess(at now: Double) {
        settle(at: now)
        consecutiveFailures = 0
        switch storedState {
        case .closed:
            consecutiveSuccesses = 0
        case .halfOpen:
            consecutiveSuccesses += 1
            if consecutiveSuccesses >= max(1, settings.successThreshold) { close() }
        case .open:
            // A success that raced an opening (e.g. a passive result) does not close an open breaker.
            break
        }
    }

    public mutating func recordFailure(at now: Double) {
        settle(at: now)
        consecutiveFailures += 1
        consecutiveSuccesses = 0
        switch storedState {
        case .closed:
            if consecutiveFailures >= max(1, settings.failureThreshold) { open(at: now) }
        case .halfOpen:
            open(at: now)
        case .open:
            break
        }
    }

    /// Manual reset (admin route): closed, counters cleared.
    public mutating func reset() {
        close()
        consecutiveFailures = 0
    }

    private mutating func settle(at now: Double) {
        if storedState == .open, state(at: now) == .halfOpen {
            storedState = .halfOpen
            consecutiveSuccesses = 0
        }
    }

    private mutating func open(at now: Double) {
        storedState = .open
        openedAt = now
        consecutiveSuccesses = 0
    }

    private mutating func close() {
        storedState = .closed
        openedAt = nil
        consecutiveSuccesses = 0
    }
}
