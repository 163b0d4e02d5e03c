import HealthCore
import TestSupport
import Testing

/// The selection must give exactly what sorting gives, for every shape of input.
@Suite struct SelectionTests {
    private static let qs = [0.0, 0.01, 0.5, 0.95, 0.99, 1.0]

    private func expectSameAsSorting(_ values: [Double], sourceLocation: SourceLocation = #_sourceLocation) {
        let sorted = values.sorted()
        var scratch = values
        let selected = quantiles(Self.qs, reordering: &scratch)
        #expect(selected == Self.qs.map { quantile($0, ofSorted: sorted) }, sourceLocation: sourceLocation)
        // Only reordered: the same multiset.
        #expect(scratch.sorted() == sorted, sourceLocation: sourceLocation)
    }

    @Test func emptyGivesNil() {
        var values: [Double] = []
        #expect(quantiles([0.5, 0.95], reordering: &values) == [nil, nil])
    }

    @Test(arguments: [1, 2, 3, 16, 17, 33, 100, 1_000, 10_001])
    func randomInputsOfEverySize(count: Int) {
        var generator = SeededGenerator(seed: UInt64(count))
        for _ in 0..<20 {
            expectSameAsSorting((0..<count).map { _ in Double(generator.next() % 10_000) / 1_000 })
        }
    }

    @Test func adversarialShapes() {
        let n = 5_000
        expectSameAsSorting((0..<n).map(Double.init))  // ascending
        expectSameAsSorting((0..<n).reversed().map(Double.init))  // descending
        expectSameAsSorting([Double](repeating: 0.3, count: n))  // all equal
        expectSameAsSorting((0..<n).map { Double($0 % 2) })  // two values
        expectSameAsSorting((0..<n).map { $0 < n / 2 ? Double($0) : Double(n - $0) })  // organ pipe
        expectSameAsSorting((0..<n).map { Double(($0 * 7_919) % 13) })  // many duplicates
    }

    @Test func quantilesInAnyOrderOfRequest() {
        var values = (0..<1_000).map { Double(($0 * 37) % 1_000) }
        let answers = quantiles([0.5, 0.99, 0.01, 0.95], reordering: &values)
        #expect(answers == [499, 989, 9, 949])
    }
}

