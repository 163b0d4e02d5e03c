import Testing
@testable import Exposition

@Suite struct NegotiationTests {
    @Test(arguments: [
        // Prometheus 2.x default.
        "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,"
            + "text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
        // Prometheus 3.x with escaping parameters.
        "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;"
            + "version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
        "application/openmetrics-text",
        "application/openmetrics-text; version=\"1.0.0\"",
        "APPLICATION/OpenMetrics-Text;Version=1.0.0;Q=0.9, text/plain;q=0.8",
        "application/openmetrics-text, text/plain",
        "text/plain;q=0.1, application/openmetrics-text;q=0.2",
        "application/*",
    ])
    func openMetricsWhenRankedFirst(accept: String) {
        #expect(negotiateFormat(accept: accept) == .openMetrics)
    }

    @Test(arguments: [
        nil, "", "*/*", "garbage", ";;;,,,", "text/plain", "text/plain;version=0.0.4",
        "application/openmetrics-text;version=0.0.1",
        "application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
        "application/openmetrics-text;version=2.0.0",
        "application/openmetrics-text;q=0",
        "application/openmetrics-text;q=0, */*",
        "application/openmetrics-text;q=0.3, text/plain;q=0.5",
        "text/plain, application/openmetrics-text",
        "application/openmetrics-text;q=abc",
        "application/openmetrics-text;q=2",
        "application/json",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    ] as [String?])
    func textOtherwise(accept: String?) {
        #expect(negotiateFormat(accept: accept) == .text)
    }

    @Test(arguments: ["gzip", "gzip, deflate, br", "GZIP;q=0.5", "br;q=1, gzip;q=0.1", "*", "deflate, *;q=0.3", "x-gzip"])
    func gzipAccepted(header: String) {
        #expect(acceptsGzip(header))
    }

    @Test(arguments: [nil, "", "identity", "gzip;q=0", "gzip;q=0.000", "deflate, br", "*;q=0", "gzip;q=0, *",
                      "gzip;q=nonsense", "gzipped"] as [String?])
    func gzipRefused(header: String?) {
        #expect(!acceptsGzip(header))
    }

    /// A header of thousands of elements (the server takes up to 64 KiB of head) is read only as far as its
    /// first elements, so that negotiating it costs what a normal one does.
    @Test func onlyTheFirstElementsOfAHugeHeaderAreRead() {
        let filler = (0..<5000).map { "application/x-format-\($0);q=0.5" }.joined(separator: ",")
        #expect(negotiateFormat(accept: "application/openmetrics-text," + filler) == .openMetrics)
        #expect(negotiateFormat(accept: filler + ",application/openmetrics-text") == .text, "beyond the first elements")
        #expect(negotiateFormat(accept: ",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,application/openmetrics-text") == .openMetrics,
                "empty elements do not count")
        #expect(acceptsGzip("gzip," + filler))
        #expect(!acceptsGzip(filler + ",gzip"))
        let started = ContinuousClock.now
        for _ in 0..<100 {
            _ = negotiateFormat(accept: filler)
            _ = acceptsGzip(filler)
        }
        #expect(ContinuousClock.now - started < .seconds(1), "100 negotiations of a 150 KB header")
    }
}

@Suite struct NegotiationCacheTests {
    static let accepts: [String?] = [
        nil, "", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
        "text/plain", "application/openmetrics-text; version=0.0.1", "*/*", "garbage;;;q=x",
    ]
    static let encodings: [String?] = [nil, "", "gzip", "gzip, deflate, br", "identity", "gzip;q=0", "*", "x-gzip;q=0.5"]

    @Test func answersExactlyAsNegotiatingEachTime() {
        let cache = NegotiationCache(capacity: 4)
        // Twice over every pair: the second pass answers from the cache where the pair is still in it.
        for _ in 0..<2 {
            for accept in Self.accepts {
                for encoding in Self.encodings {
                    let answer = cache.answer(accept: accept, acceptEncoding: encoding)
                    #expect(answer.format == negotiateFormat(accept: accept), "\(String(describing: accept))")
                    #expect(answer.gzip == acceptsGzip(encoding), "\(String(describing: encoding))")
                }
            }
        }
    }

    @Test func longHeadersAreNegotiatedButNotKept() {
        let cache = NegotiationCache()
        let long = String(repeating: "text/plain;q=0.1,", count: 200) + "application/openmetrics-text;version=1.0.0"
        #expect(cache.answer(accept: long, acceptEncoding: "gzip") == .init(format: negotiateFormat(accept: long), gzip: true))
    }
}
