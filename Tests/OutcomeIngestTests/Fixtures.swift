import HealthCore

@testable import OutcomeIngest

/// The clock every test decodes against: Unix seconds.
let testNow = 1_750_000_000.0

func decode(_ text: String, _ format: OutcomeFormat, limits: IngestLimits = IngestLimits()) throws(IngestRejection)
    -> [ModelResult]
{
    try decodeOutcomes(Array(text.utf8), format: format, limits: limits, now: testNow)
}

/// The rejection decoding `text` fails with, or nil when it is accepted.
func rejection(_ text: String, _ format: OutcomeFormat, limits: IngestLimits = IngestLimits()) -> IngestRejection? {
    rejection(Array(text.utf8), format, limits: limits)
}

func rejection(_ body: [UInt8], _ format: OutcomeFormat, limits: IngestLimits = IngestLimits()) -> IngestRejection? {
    do {
        _ = try decodeOutcomes(body, format: format, limits: limits, now: testNow)
        return nil
    } catch {
        return error
    }
}

/// One valid outcome object; `extra` is spliced in before the closing brace.
func outcome(
    provider: String = "openai", model: String = "gpt-4o-mini", success: Bool = true, latency: String = "0.25",
    extra: String = ""
) -> String {
    #"{"provider":"\#(provider)","model":"\#(model)","success":\#(success),"latency_seconds":\#(latency)\#(extra)}"#
}

