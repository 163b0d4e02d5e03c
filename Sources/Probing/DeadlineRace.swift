import Synchronization

/// How `race(until:_:)` ended.
enum RaceOutcome<Value: Sendable>: Sendable {
    case finished(Value)
    case deadline
    /// The calling task was cancelled.
    case cancelled
}

/// Runs `operation` until `deadline` and returns as soon as either comes, or the calling task is cancelled. The
/// loser is cancelled and not waited for: a task group would wait for the operation to notice its cancellation,
/// so the deadline would only hold as well as every layer under the operation honours cancellation.
func race<Value: Sendable>(
    until deadline: ContinuousClock.Instant, _ operation: @escaping @Sendable () async -> Value
) async -> RaceOutcome<Value> {
    let first = FirstOutcome<RaceOutcome<Value>>()
    return await withTaskCancellationHandler {
        await withCheckedContinuation { continuation in
            first.wait(continuation)
            first.cancelOnOutcome(Task { first.offer(.finished(await operation())) })
            first.cancelOnOutcome(
                Task {
                    try? await Task.sleep(until: deadline, clock: .continuous)
                    first.offer(.deadline)
                })
        }
    } onCancel: {
        first.offer(.cancelled)
    }
}

/// The first value offered, handed to one waiting continuation; the tasks that were racing are cancelled then.
private final class FirstOutcome<Value: Sendable>: Sendable {
    private struct State: ~Copyable {
        var outcome: Value?
        var continuation: CheckedContinuation<Value, Never>?
        var racers: [Task<Void, Never>] = []
    }

    private let state = Mutex(State())

    func wait(_ continuation: CheckedContinuation<Value, Never>) {
        let ready = state.withLock { state -> Value? in
            if let outcome = state.outcome { return outcome }
            state.continuation = continuation
            return nil
        }
        if let ready { continuation.resume(returning: ready) }
    }

    func cancelOnOutcome(_ task: Task<Void, Never>) {
        let decided = state.withLock { state -> Bool in
            if state.outcome != nil { return true }
            state.racers.append(task)
            return false
        }
        if decided { task.cancel() }
    }

    /// Ignored when an outcome was offered before.
    func offer(_ outcome: Value) {
        let (continuation, racers) = state.withLock { state -> (CheckedContinuation<Value, Never>?, [Task<Void, Never>]) in
            guard state.outcome == nil else { return (nil, []) }
            state.outcome = outcome
            defer {
                state.continuation = nil
                state.racers = []
            }
            return (state.continuation, state.racers)
        }
        continuation?.resume(returning: outcome)
        for racer in racers { racer.cancel() }
    }
}
