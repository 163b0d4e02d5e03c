import Testing

@testable import OutcomeIngest

@Suite struct FormatDetectionTests {
    @Test func ndjsonMediaTypesWin() {
        for type in ["application/x-ndjson", "application/jsonl", "Application/X-NDJSON; charset=utf-8",
            " application/ndjson ", "application/jsonlines"]
        {
            #expect(OutcomeFormat.detect(contentType: type, firstByte: UInt8(ascii: "[")) == .ndjson, "\(type)")
        }
    }

    @Test func otherwiseTheFirstByteDecides() {
        #expect(OutcomeFormat.detect(contentType: "application/json", firstByte: UInt8(ascii: "[")) == .jsonArray)
        #expect(OutcomeFormat.detect(contentType: nil, firstByte: UInt8(ascii: "[")) == .jsonArray)
        #expect(OutcomeFormat.detect(contentType: "application/json", firstByte: UInt8(ascii: "{")) == .ndjson)
        #expect(OutcomeFormat.detect(contentType: nil, firstByte: nil) == .ndjson)
    }

    @Test func bodyDetectionSkipsWhitespaceAndByteOrderMark() {
        #expect(OutcomeFormat.detect(contentType: nil, body: Array(" \n [".utf8)) == .jsonArray)
        #expect(OutcomeFormat.detect(contentType: nil, body: [0xEF, 0xBB, 0xBF, UInt8(ascii: "[")]) == .jsonArray)
        #expect(OutcomeFormat.detect(contentType: nil, body: Array("{}".utf8)) == .ndjson)
    }
}
