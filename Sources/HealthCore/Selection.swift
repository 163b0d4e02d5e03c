/// Nearest-rank quantiles without sorting: a selection per quantile, expected linear time, so a roll-up
/// over a million results costs ten times one over a hundred thousand, not more.
///
/// Reorders `values`. Returns one value per entry of `qs` (nil when `values` is empty), identical to
/// `quantile(q, ofSorted: values.sorted())`.
public func quantiles(_ qs: [Double], reordering values: inout [Double]) -> [Double?] {
    guard !values.isEmpty else { return qs.map { _ in nil } }
    let count = values.count
    let ranks = qs.map { q in min(count - 1, max(0, Int((q * Double(count)).rounded(.up)) - 1)) }
    var answers = [Double?](repeating: nil, count: qs.count)
    // Largest rank first: every later (smaller) rank then lies left of it, in a shrinking range.
    let order = ranks.indices.sorted { ranks[$0] > ranks[$1] }
    values.withUnsafeMutableBufferPointer { buffer in
        var upper = count
        for index in order {
            let rank = ranks[index]
            select(rank, in: buffer, lower: 0, upper: min(upper, count))
            answers[index] = buffer[rank]
            upper = rank + 1
        }
    }
    return answers
}

/// Puts the `rank`-th smallest of `buffer[lower..<upper]` at `rank`, smaller or equal values before it and
/// greater or equal ones after. Quickselect with a median-of-three pivot; after too many rounds (adversarial
/// input) it sorts what is left, so the worst case stays O(n log n).
private func select(_ rank: Int, in buffer: UnsafeMutableBufferPointer<Double>, lower: Int, upper: Int) {
    var low = lower
    var high = upper - 1
    var budget = 2 * (Int.bitWidth - max(1, upper - lower).leadingZeroBitCount) + 8
    while high - low > 16 {
        if budget == 0 {
            sortRange(buffer, low, high)
            return
        }
        budget -= 1
        let middle = low + (high - low) / 2
        // Median of three into `middle`.
        if buffer[middle] < buffer[low] { buffer.swapAt(middle, low) }
        if buffer[high] < buffer[low] { buffer.swapAt(high, low) }
        if buffer[high] < buffer[middle] { buffer.swapAt(high, middle) }
        let pivot = buffer[middle]
        // Hoare partition: [low, j] <= pivot <= [i, high].
        var i = low
        var j = high
        while i <= j {
            while buffer[i] < pivot { i += 1 }
            while pivot < buffer[j] { j -= 1 }
            if i <= j {
                buffer.swapAt(i, j)
                i += 1
                j -= 1
            }
        }
        if rank <= j {
            high = j
        } else if rank >= i {
            low = i
        } else {
            return  // between j and i everything equals the pivot
        }
    }
    sortRange(buffer, low, high)
}

/// Insertion sort of `buffer[low...high]` for short ranges, a full sort for long ones.
private func sortRange(_ buffer: UnsafeMutableBufferPointer<Double>, _ low: Int, _ high: Int) {
    guard high > low else { return }
    if high - low > 32 {
        var range = UnsafeMutableBufferPointer(rebasing: buffer[low...high])
        range.sort()
        return
    }
    for index in (low + 1)...high {
        let value = buffer[index]
        var position = index - 1
        while position >= low && buffer[position] > value {
            buffer[position + 1] = buffer[position]
            position -= 1
        }
        buffer[position + 1] = value
    }
}
