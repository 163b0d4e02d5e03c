/// Latency score: 1 at or below `good`, 0 at or above `bad`, linear in between.
public func latencyScore(latencySeconds: Double, settings: ScoreSettings) -> Double {
    let good = settings.latencyGoodSeconds
    let bad = settings.latencyBadSeconds
    guard latencySeconds.isFinite else { return 0 }
    if latencySeconds <= good { return 1 }
    if latencySeconds >= bad || bad <= good { return 0 }
    return (bad - latencySeconds) / (bad - good)
}

/// Composite health score in 0...1: availability·w₁ + (1 − error rate)·w₂ + latency score·w₃,
/// divided by the sum of the weights so that custom weights still give 0...1.
public func healthScore(availability: Double, errorRate: Double, latencyScore: Double, settings: ScoreSettings) -> Double {
    let weights = settings.availabilityWeight + settings.errorRateWeight + settings.latencyWeight
    guard weights > 0 else { return 0 }
    let clamp = { (x: Double) in x.isFinite ? min(1, max(0, x)) : 0 }
    let raw =
        clamp(availability) * settings.availabilityWeight
        + (1 - clamp(errorRate)) * settings.errorRateWeight
        + clamp(latencyScore) * settings.latencyWeight
    return clamp(raw / weights)
}
