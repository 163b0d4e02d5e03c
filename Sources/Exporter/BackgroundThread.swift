import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
    import Glibc
#endif

/// One thread of lowered CPU priority that runs submitted work in order.
///
/// The aggregation cycle (roll-up, encoding, gzip) is a burst of CPU work every interval; on a small
/// machine it would compete with the event loops that serve /metrics. Run here, at nice +10, it only
/// takes the CPU the scrapes leave, so a scrape that arrives during a cycle is not delayed by it.
final class BackgroundThread: Sendable {
    private struct Queue {
        var jobs: [@Sendable () -> Void] = []
        var stopped = false
    }

    /// What the thread and its callers share; the thread holds this, not the object, so deinit can stop it.
    private final class Shared: Sendable {
        // A pthread mutex (not Synchronization's futex Mutex): ThreadSanitizer sees it, so the hand-off
        // between callers and the thread is checked rather than reported.
        let queue = NIOLockedValueBox(Queue())
        let wake = DispatchSemaphore(value: 0)
    }

    private let shared = Shared()

    /// - Parameter niceness: added to the thread's nice value (Linux: per thread); 0 keeps the process's.
    init(name: String, niceness: Int32 = 10) {
        let thread = Thread { [shared] in
            #if os(Linux)
                if niceness != 0 {
                    // On Linux the nice value is per thread, and 0 is the calling one. Lowering it needs no
                    // privilege; failing only leaves the normal priority.
                    _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
                }
            #endif
            while true {
                shared.wake.wait()
                let job = shared.queue.withLockedValue { queue -> (@Sendable () -> Void)? in
                    queue.jobs.isEmpty ? nil : queue.jobs.removeFirst()
                }
                guard let job else { return }  // woken with no job: stopped
                job()
            }
        }
        thread.name = name
        thread.start()
    }

    deinit { stop() }

    /// Runs `work` on the thread and returns its result.
    func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let accepted = shared.queue.withLockedValue { queue -> Bool in
                guard !queue.stopped else { return false }
                queue.jobs.append { continuation.resume(returning: work()) }
                return true
            }
            if accepted {
                shared.wake.signal()
            } else {
                continuation.resume(returning: work())  // after stop: run inline rather than hang
            }
        }
    }

    /// Lets the thread finish its queued jobs and exit.
    func stop() {
        let first = shared.queue.withLockedValue { queue -> Bool in
            defer { queue.stopped = true }
            return !queue.stopped
        }
        if first { shared.wake.signal() }
    }
}
