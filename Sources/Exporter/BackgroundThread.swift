import Dispatch
import NIOConcurrencyHelpers

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

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
        startThread(name: name) { [shared] in
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

/// Starts a detached POSIX thread named `name` (Linux keeps the first 15 bytes) that runs `body`.
private func startThread(name: String, _ body: @escaping @Sendable () -> Void) {
    final class Start {
        let name: String
        let body: @Sendable () -> Void
        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }
    let start = Unmanaged.passRetained(Start(name: name, body: body)).toOpaque()
    #if canImport(Glibc)
        var thread = pthread_t()
        let created = pthread_create(
            &thread, nil,
            { argument in
                let start = Unmanaged<Start>.fromOpaque(argument!).takeRetainedValue()
                // What pthread_setname_np does on Linux (Glibc does not export it to Swift).
                if let comm = fopen("/proc/thread-self/comm", "w") {
                    fputs(String(decoding: start.name.utf8.prefix(15), as: UTF8.self), comm)
                    fclose(comm)
                }
                start.body()
                return nil
            }, start)
        if created == 0 { pthread_detach(thread) }
    #else
        var thread: pthread_t?
        let created = pthread_create(
            &thread, nil,
            { argument in
                let start = Unmanaged<Start>.fromOpaque(argument).takeRetainedValue()
                _ = pthread_setname_np(start.name)
                start.body()
                return nil
            }, start)
        if created == 0, let thread { pthread_detach(thread) }
    #endif
    precondition(created == 0, "cannot start the \(name) thread: error \(created)")
}
