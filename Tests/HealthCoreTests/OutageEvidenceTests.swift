import Testing
import TestSupport

@testable import HealthCore

@Suite struct OutageEvidenceTests {
    func observe(_ evidence: inout ModelEvidence, _ reasons: [FailureReason?], source: ResultSource = .probe) {
        for reason in reasons { evidence.observe(success: reason == nil, reason: reason, source: source) }
    }

    func clean(_ answers: Int) -> ModelEvidence {
        var evidence = ModelEvidence()
        observe(&evidence, Array(repeating: nil, count: answers))
        return evidence
    }

    @Test func littleEvidenceNeedsLongRunsAndACleanRecordShortOnes() {
        #expect(ModelEvidence().requiredRun == 7)
        #expect(clean(21).requiredRun == 4)  // 20 results that followed an answer
        #expect(clean(101).requiredRun == 3)
        #expect(clean(1001).requiredRun == 2)
        // The bar falls monotonically as clean answers accumulate.
        let bars = [0, 5, 10, 20, 50, 100, 300, 700, 2000].map { clean($0).requiredRun }
        #expect(bars == bars.sorted(by: >))
    }

    @Test func aFirstResultNeverMakesAnOutage() {
        for reason in [FailureReason.timeout, .connect, .http5xx, .badResponse, .modelMissing] {
            var evidence = ModelEvidence()
            observe(&evidence, [reason])
            #expect(evidence.available, "\(reason)")
            #expect(evidence.awaitsConfirmation)
        }
    }

    @Test func aRunAsLongAsRequiredIsAnOutageAndAnAnswerEndsIt() {
        var evidence = clean(100)
        let required = evidence.requiredRun
        observe(&evidence, Array(repeating: .http5xx, count: required - 1))
        #expect(evidence.available)
        #expect(evidence.awaitsConfirmation)
        observe(&evidence, [.timeout])
        #expect(evidence.isOutage)
        #expect(!evidence.available)
        #expect(!evidence.awaitsConfirmation)
        observe(&evidence, [nil])
        #expect(evidence.available)
        #expect(evidence.run == 0)
    }

    @Test func quotaRefusalsAndRejectedKeysAreAnswersNotOutages() {
        var evidence = clean(100)
        observe(&evidence, [.http5xx, .rateLimited, .http5xx, .rateLimited, .http5xx])
        #expect(evidence.run == 1)
        observe(&evidence, Array(repeating: .rateLimited, count: 20))
        #expect(evidence.available)
        observe(&evidence, [.auth])
        #expect(!evidence.available)
        #expect(evidence.keyRejected)
        #expect(!evidence.isOutage)
        observe(&evidence, [nil])
        #expect(evidence.available)
    }

    @Test func aClientErrorInTrafficIsSkippedButAProbes4xxCounts() {
        var evidence = clean(100)
        observe(&evidence, [.http5xx])
        observe(&evidence, Array(repeating: .http4xx, count: 10), source: .traffic)
        #expect(evidence.run == 1)
        observe(&evidence, [.http4xx], source: .probe)
        #expect(evidence.run == 2)
    }

    /// The bar of a run is the one it began with: its own failures do not make it harder to call.
    @Test func aRunKeepsTheBarItBeganWith() {
        var evidence = clean(100)
        let bar = evidence.requiredRun
        observe(&evidence, Array(repeating: .http5xx, count: 20))
        #expect(evidence.requiredRun == bar)
        #expect(evidence.isOutage)
    }

    /// A stationary 20 % of random 5xx (the truth run's mix, with 10 % of 429s): its runs are bad luck, not
    /// outages. 200,000 results hold about 40,000 runs, several of 6 or more; none reaches the bar.
    @Test func randomFailuresAtTwentyPercentAreNeverAnOutage() {
        var generator = SeededGenerator(seed: 0x5EED_0020)
        var evidence = ModelEvidence()
        var longest = 0
        var verdicts = 0
        for _ in 0..<200_000 {
            let draw = Double.random(in: 0..<1, using: &generator)
            let reason: FailureReason? = draw < 0.2 ? .http5xx : draw < 0.3 ? .rateLimited : nil
            let wasOutage = evidence.isOutage
            observe(&evidence, [reason])
            longest = max(longest, evidence.run)
            if evidence.isOutage && !wasOutage { verdicts += 1 }
        }
        #expect(longest >= 6)
        #expect(verdicts == 0)
        #expect(evidence.requiredRun == 8)
    }

    /// The same provider, failing every time from some point on, is an outage after at most the maximum bar.
    @Test func aRealOutageOfAFlakyProviderIsStillCalled() {
        var generator = SeededGenerator(seed: 7)
        var evidence = ModelEvidence()
        for _ in 0..<5000 {
            let draw = Double.random(in: 0..<1, using: &generator)
            observe(&evidence, [draw < 0.2 ? .http5xx : nil])
        }
        var failures = 0
        while !evidence.isOutage {
            observe(&evidence, [.connect])
            failures += 1
        }
        #expect(failures <= ModelEvidence.maximumRun)
    }

    /// ~1 % background errors: a real outage after a quiet stretch is called after 3 or 4 failures.
    @Test func aQuietProviderWithBackgroundErrorsIsCalledQuickly() {
        var generator = SeededGenerator(seed: 11)
        var evidence = ModelEvidence()
        for _ in 0..<300 {
            observe(&evidence, [Double.random(in: 0..<1, using: &generator) < 0.01 ? .http5xx : nil])
        }
        observe(&evidence, [nil])
        #expect((2...4).contains(evidence.requiredRun))
    }
}
