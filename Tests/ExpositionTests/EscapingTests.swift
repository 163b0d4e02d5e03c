import Testing
@testable import Exposition

@Suite struct EscapingTests {
    @Test(arguments: [ExpositionFormat.text, .openMetrics])
    func labelValuesEscapeQuoteBackslashAndNewline(format: ExpositionFormat) {
        let family = gauge("up", labels: ["provider"], [sample("a\"b\\c\nd", value: 1)])
        #expect(sampleLines(render([family], format)) == [#"up{provider="a\"b\\c\nd"} 1"#])
    }

    @Test(arguments: [ExpositionFormat.text, .openMetrics])
    func otherCharactersPassThroughUnchanged(format: ExpositionFormat) {
        let value = "tab\there, Zürich ☃ 🚀👩‍💻 }{,= # carriage\rreturn"
        let family = gauge("up", labels: ["provider"], [sample(value, value: 1)])
        #expect(sampleLines(render([family], format)) == ["up{provider=\"\(value)\"} 1"])
    }

    @Test func emptyAndLongValuesAreKept() {
        let long = String(repeating: "x\\", count: 10_000)
        let family = gauge("up", labels: ["a", "b"], [sample("", long, value: 1)])
        let escapedLong = String(repeating: #"x\\"#, count: 10_000)
        #expect(sampleLines(render([family], .text)) == ["up{a=\"\",b=\"\(escapedLong)\"} 1"])
    }

    @Test func textHelpEscapesBackslashAndNewlineButNotQuotes() {
        let family = gauge("up", [sample(value: 1)], help: "Say \"hi\" \\ then\nbye.")
        #expect(render([family], .text).hasPrefix(#"# HELP up Say "hi" \\ then\nbye."# + "\n# TYPE up gauge\n"))
    }

    @Test func openMetricsHelpEscapesQuotesToo() {
        let family = gauge("up", [sample(value: 1)], help: "Say \"hi\" \\ then\nbye.")
        #expect(render([family], .openMetrics).hasPrefix(#"# HELP up Say \"hi\" \\ then\nbye."# + "\n# TYPE up gauge\n"))
    }

    @Test func emptyHelpStillHasTheSeparatingSpace() {
        let family = gauge("up", [sample(value: 1)], help: "")
        #expect(render([family], .openMetrics).hasPrefix("# HELP up \n# TYPE up gauge\n"))
    }
}
