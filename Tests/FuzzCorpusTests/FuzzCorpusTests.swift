import ExporterConfig
import Foundation
import HealthCore
import OutcomeIngest
import Testing

@testable import FuzzHarness

/// `fuzz/corpus/<target>/` in the source tree, whatever directory the tests run from.
func corpusDirectory(_ target: FuzzTarget) -> URL {
    URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fuzz/corpus/\(target.rawValue)")
}

/// Every corpus file of a target, by name.
func corpusFiles(_ target: FuzzTarget) throws -> [URL] {
    let directory = corpusDirectory(target)
    let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
    return names.filter { !$0.hasPrefix(".") }.sorted().map { directory.appendingPathComponent($0) }
}

/// Replays the fuzzers' corpora (the seeds, what the 5-minute runs kept, and every input that once broke an
/// invariant) through the same checks the fuzzers run: each input must pass every one.
@Suite struct FuzzCorpusTests {
    @Test(arguments: FuzzTarget.allCases)
    func corpusHoldsEveryInvariant(target: FuzzTarget) throws {
        let files = try corpusFiles(target)
        try #require(files.count >= 10, "the corpus \(corpusDirectory(target).path) is missing or nearly empty")
        for file in files {
            let input = try [UInt8](Data(contentsOf: file))
            let problems = target.check(input)
            #expect(problems.isEmpty, "\(target.rawValue)/\(file.lastPathComponent): \(problems.joined(separator: "; "))")
        }
    }

    /// The checks themselves must be able to fail, or a green replay proves nothing.
    @Test func checksCatchBrokenResults() {
        #expect(!snapshotProblems(RateLimitSnapshot(requestsRemaining: 5, requestsLimit: -1), "t").isEmpty)
        #expect(!snapshotProblems(RateLimitSnapshot(retryAfterSeconds: .infinity), "t").isEmpty)
        #expect(snapshotProblems(RateLimitSnapshot(requestsRemaining: 50, requestsLimit: 10), "t").isEmpty)

        let unlocated = ConfigError(file: fuzzConfigFilename, line: 0, column: 0, field: "x", message: "bad")
        #expect(!rejectedConfigProblems([unlocated], text: "x: 1").isEmpty)
        let twoLines = ConfigError(file: fuzzConfigFilename, line: 1, column: 1, field: "a\nb", message: "bad")
        #expect(!rejectedConfigProblems([twoLines], text: "x: 1").isEmpty)
        #expect(!rejectedConfigProblems([], text: "").isEmpty)
        var config = ExporterConfiguration()
        config.global.windowSeconds = .infinity
        #expect(!acceptedConfigProblems(config).isEmpty)

        let negative = ModelResult(
            provider: "p", model: "m", success: true, latencySeconds: -1, source: .traffic, timestamp: fuzzOutcomeNow)
        #expect(!acceptedOutcomeProblems([negative], limits: IngestLimits()).isEmpty)
        let serverError = IngestRejection(status: 500, reason: "malformed", detail: "x")
        #expect(!rejectionProblems(serverError, allowed: ["malformed"]).isEmpty)
        #expect(!strictnessProblems(Array("[{}, 01]".utf8), format: .jsonArray, count: 2).isEmpty)
        #expect(!strictnessProblems(Array("{}\n{}".utf8), format: .ndjson, count: 1).isEmpty)
        #expect(strictnessProblems(Array("{}\n \r\n{\"a\":[1e9999]}".utf8), format: .ndjson, count: 2).isEmpty)
    }

    @Test func responseSplitsIntoHeadersAndBody() {
        let (headers, body) = rateLimitResponse(Array("Retry-After: 7\r\nx-flag\r\n\r\n{}".utf8))
        #expect(headers.map(\.name) == ["Retry-After", "x-flag"])
        #expect(headers.map(\.value) == [" 7", ""])
        #expect(body == Array("{}".utf8))
        #expect(rateLimitResponse(Array("a: b".utf8)).body == nil)
    }
}
