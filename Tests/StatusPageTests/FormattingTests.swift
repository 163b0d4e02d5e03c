@testable import StatusPage
import Testing

@Suite("Status page formatting")
struct FormattingTests {
    @Test("UTC ISO-8601 to the second, across leap years and before 1970")
    func iso() {
        #expect(Format.isoUTC(0) == "1970-01-01T00:00:00Z")
        #expect(Format.isoUTC(1_700_000_000.9) == "2023-11-14T22:13:20Z")
        #expect(Format.isoUTC(951_782_400) == "2000-02-29T00:00:00Z")
        #expect(Format.isoUTC(4_107_542_399) == "2100-02-28T23:59:59Z")
        #expect(Format.isoUTC(-1) == "1969-12-31T23:59:59Z")
        #expect(Format.isoUTC(.nan) == nil)
        #expect(Format.isoUTC(.infinity) == nil)
        #expect(Format.isoUTC(1e300) == nil)
    }

    @Test("relative times")
    func relative() {
        #expect(Format.relative(100, now: 112) == "12 s ago")
        #expect(Format.relative(100, now: 100.3) == "0 s ago")
        #expect(Format.relative(0, now: 300) == "5 min ago")
        #expect(Format.relative(0, now: 7300) == "2 h ago")
        #expect(Format.relative(0, now: 200_000) == "2 d ago")
        #expect(Format.relative(130, now: 100) == "in 30 s")
        #expect(Format.relative(.nan, now: 100) == nil)
    }

    @Test("latency in milliseconds, rates in percent")
    func numbers() {
        #expect(Format.latency(0.0004) == "0.4 ms")
        #expect(Format.latency(0.045) == "45 ms")
        #expect(Format.latency(1.8504) == "1850 ms")
        #expect(Format.latency(nil) == "—")
        #expect(Format.latency(.nan) == "—")
        #expect(Format.latency(.infinity) == "—")
        #expect(Format.percent(0.125) == "12.5 %")
        #expect(Format.percent(1) == "100 %")
        #expect(Format.percent(0) == "0 %")
        #expect(Format.percent(0.00001) == "0 %")
        #expect(Format.percent(nil) == "—")
        #expect(Format.score(0.987) == "0.99")
        #expect(Format.fixed(-0.05, digits: 2) == "-0.05")
        #expect(Format.fixed(-0.001, digits: 1) == "0.0")
    }

    @Test("escaping covers the five characters and control characters")
    func escaping() {
        #expect(HTML.escape("<a href=\"x\">'&'</a>") == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
        #expect(HTML.escape("tab\there\u{7}") == "tab\there\u{FFFD}")
        #expect(HTML.escape("ünï 🚀") == "ünï 🚀")
    }

    @Test("escaping keeps Latin-1 text and replaces C1 control characters")
    func latin1() {
        #expect(HTML.escape("a · b ü") == "a · b ü")
        #expect(HTML.escape("a\u{85}b\u{9F}") == "a\u{FFFD}b\u{FFFD}")
    }
}
