import Testing

@testable import HistoryStore

@Suite struct PendingRowsTests {
    @Test func overflowDropsTheOldestAndCountsThem() {
        var queue = PendingRows(capacity: 3)
        queue.enqueue((0..<5).map { row(Double($0)) })
        queue.trimToCapacity()
        #expect(queue.count == 3)
        #expect(queue.dropped == 2)
        #expect(queue.rows(since: 0, provider: nil).map(\.timestamp) == [2, 3, 4])
    }

    @Test func aCommittedBatchRemovesOnlyItsOwnRows() throws {
        var queue = PendingRows(capacity: 10)
        queue.enqueue([row(1), row(2)])
        let batch = try #require(queue.batch())
        queue.enqueue([row(3)])  // arrives while the batch is being written
        queue.removeWritten(through: batch.through)
        #expect(queue.rows(since: 0, provider: nil).map(\.timestamp) == [3])
        #expect(queue.written == 2)
    }

    @Test func rowsDroppedByOverflowDuringAWriteAreNotCountedTwice() throws {
        var queue = PendingRows(capacity: 2)
        queue.enqueue([row(1), row(2)])
        let batch = try #require(queue.batch())
        queue.enqueue([row(3), row(4)])
        queue.trimToCapacity()  // 1 and 2 dropped before their write commits
        queue.removeWritten(through: batch.through)
        #expect(queue.rows(since: 0, provider: nil).map(\.timestamp) == [3, 4])
        #expect(queue.dropped == 2)
        #expect(queue.written == 0)
    }

    @Test func aRowWithoutAUsableTimeIsDropped() {
        var queue = PendingRows(capacity: 10)
        queue.enqueue([row(.nan), row(.infinity), row(7)])
        #expect(queue.count == 1)
        #expect(queue.dropped == 2)
    }

    @Test func capacityIsAtLeastOne() {
        var queue = PendingRows(capacity: 0)
        queue.enqueue([row(1), row(2)])
        queue.trimToCapacity()
        #expect(queue.count == 1)
    }

    @Test func pruneAndFilters() {
        var queue = PendingRows(capacity: 10)
        queue.enqueue([row(1, "a"), row(5, "b"), row(9, "a")])
        queue.prune(before: 5)
        #expect(queue.rows(since: 0, provider: nil).map(\.timestamp) == [5, 9])
        #expect(queue.rows(since: 0, provider: "a").map(\.timestamp) == [9])
        #expect(queue.rows(since: 6, provider: nil).map(\.timestamp) == [9])
    }

    @Test func mergeOrdersByTimeThenProviderAndQueuedRowsWin() {
        let stored = [row(1, "b"), row(2, "a"), row(3, "a", healthScore: 0.1)]
        let queued = [row(3, "a", healthScore: 0.8), row(1, "a")]
        let merged = mergeHistory(stored: stored, queued: queued)
        #expect(merged.map(\.timestamp) == [1, 1, 2, 3])
        #expect(merged.map(\.provider) == ["a", "b", "a", "a"])
        #expect(merged.last?.healthScore == 0.8)
        #expect(mergeHistory(stored: stored, queued: []) == stored)
    }

    @Test func uptimeTally() {
        let tally = UptimeTally([row(1), row(2, available: false), row(3), row(4)])
        #expect(tally == UptimeTally(rows: 4, available: 3))
        #expect(tally.fraction == 0.75)
        #expect(UptimeTally([]).fraction == nil)
        #expect((tally + UptimeTally(rows: 4, available: 1)).fraction == 0.5)
    }
}
