/// Whether `count` of `trials` is more than `share` with 95 % confidence: the lower one-sided Wilson bound of the
/// observed proportion is above `share`. A verdict needs evidence in proportion to the sample: against 5 %, 1 in 5
/// is not enough and 2 in 5 is; 2 in 30 is not (one stray error among ~1 % background is normal), 5 in 40 is.
public func significantlyAbove(_ count: Int, of trials: Int, share: Double) -> Bool {
    guard trials > 0, count > 0 else { return false }
    let n = Double(trials)
    let p = Double(min(count, trials)) / n
    let z = 1.645
    let z2 = z * z
    let lower = (p + z2 / (2 * n) - z * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()) / (1 + z2 / n)
    return lower > share
}
