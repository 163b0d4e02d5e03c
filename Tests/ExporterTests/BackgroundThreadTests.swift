import Testing

@testable import Exporter

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct BackgroundThreadTests {
    @Test func runsJobsInOrderAndReturnsTheirResults() async {
        let thread = BackgroundThread(name: "test")
        var results: [Int] = []
        for index in 0..<50 { results.append(await thread.run { index * 2 }) }
        #expect(results == (0..<50).map { $0 * 2 })
        thread.stop()
    }

    @Test func concurrentCallersAllGetTheirOwnAnswer() async {
        let thread = BackgroundThread(name: "test")
        let sums = await withTaskGroup(of: Int.self) { group in
            for index in 0..<100 { group.addTask { await thread.run { index } } }
            var all: [Int] = []
            for await value in group { all.append(value) }
            return all.sorted()
        }
        #expect(sums == Array(0..<100))
        thread.stop()
    }

    #if os(Linux)
        @Test func theThreadRunsAtALowerPriorityThanTheCaller() async {
            let thread = BackgroundThread(name: "test", niceness: 7)
            errno = 0
            let callers = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
            let workers = await thread.run { Int(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)) }
            #expect(workers == min(19, Int(callers) + 7))
            thread.stop()
        }
    #endif

    @Test func workAfterStopStillRuns() async {
        let thread = BackgroundThread(name: "test")
        thread.stop()
        #expect(await thread.run { 42 } == 42)
    }
}
