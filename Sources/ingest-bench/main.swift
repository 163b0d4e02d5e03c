// Throughput of the outcome decoder and batch check, in outcomes per second. Run a release build:
//   swift run -c release ingest-bench [outcomes-per-batch] [batches]
//   swift run -c release ingest-bench --otlp export.pb [batches]   (the OTLP trace decoder on an export's bytes)
//   swift run -c release ingest-bench --litellm batch.json [batches]   (LiteLLM's payloads, e.g. bench/run.sh's)
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HealthCore
import OutcomeIngest

if CommandLine.arguments.count > 2, ["--otlp", "--litellm"].contains(CommandLine.arguments[1]) {
    let otlp = CommandLine.arguments[1] == "--otlp"
    let body = Array((try? Data(contentsOf: URL(fileURLWithPath: CommandLine.arguments[2]))) ?? Data())
    let batches = CommandLine.arguments.dropFirst(3).first.flatMap { Int($0) } ?? 1_000
    let now = Date().timeIntervalSince1970
    var decoded = 0
    let elapsed = ContinuousClock().measure {
        for _ in 0..<batches {
            do {
                decoded +=
                    otlp
                    ? try decodeOTLPTraces(body, encoding: .protobuf, limits: IngestLimits()).calls.count
                    : try decodeLiteLLMPayloads(body, limits: IngestLimits(), now: now).count
            } catch {
                fatalError("benchmark body refused: \(error)")
            }
        }
    }
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    print("\(otlp ? "otlp" : "litellm"): \(decoded) calls in \(seconds) s = \(Int(Double(decoded) / seconds)) calls/s, "
        + "\(Int(Double(body.count * batches) / 1_048_576 / seconds)) MiB/s")
} else {
    outcomes()
}

/// The outcomes schema: NDJSON and array batches through the decoder and the batch check.
func outcomes() {
    let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
    let batchSize = arguments.first ?? 10_000
    let batches = arguments.dropFirst().first ?? 100
    let now = 1_750_000_000.0
    let providers = ["openai", "anthropic", "groq", "together"]
    let models = ["gpt-4o-mini", "claude-3-5-sonnet-20241022", "llama-3.1-70b-versatile", "mixtral-8x7b-instruct"]

    func line(_ i: Int) -> String {
        let provider = providers[i % providers.count]
        let model = models[(i / 7) % models.count]
        let success = i % 10 != 0
        let status = success ? 200 : 503
        let error = success ? "null" : "\"upstream returned 503: service unavailable\""
        return #"{"provider":"\#(provider)","model":"\#(model)","success":\#(success),"#
            + #""latency_seconds":0.\#(100 + i % 900),"status_code":\#(status),"error":\#(error),"#
            + #""timestamp":\#(Int(now) - i % 600),"request_id":"req-\#(i)"}"#
    }

    let ndjson = Array((0..<batchSize).map(line).joined(separator: "\n").utf8)
    let array = Array(("[" + (0..<batchSize).map(line).joined(separator: ",") + "]").utf8)
    var limits = IngestLimits()
    limits.maxBatchSize = batchSize
    limits.acceptUnknownProviders = true

    for (name, body, format) in [("ndjson", ndjson, OutcomeFormat.ndjson), ("array", array, .jsonArray)] {
        let clock = ContinuousClock()
        var decoded = 0
        let elapsed = clock.measure {
            for _ in 0..<batches {
                do {
                    let results = try decodeOutcomes(body, format: format, limits: limits, now: now)
                    try checkBatch(results, knownProviders: [], modelsPerProvider: [:], limits: limits)
                    decoded += results.count
                } catch {
                    fatalError("benchmark batch refused: \(error)")
                }
            }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let megabytes = Double(body.count * batches) / 1_048_576
        print("\(name): \(decoded) outcomes in \(seconds) s = \(Int(Double(decoded) / seconds)) outcomes/s, "
            + "\(Int(megabytes / seconds)) MiB/s")
    }
}
