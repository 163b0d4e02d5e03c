import HealthCore
import StatusPage
import Testing

@Suite("Status page escaping")
struct EscapingTests {
    static let nastyProvider = "<script>alert(\"p\")</script> & 'co' \" onmouseover=\"x ünïcødé 🚀"
    static let nastyModel = "<img src=x onerror=alert(1)>/model's \"name\" & more"
    static let nastyError = "HTTP 500: <script>document.cookie</script> & \"quoted\"\u{0}\u{1B}[31m"

    static let provider = Fixtures.provider(
        nastyProvider, status: .degraded,
        models: [Fixtures.model(nastyModel, available: true), Fixtures.model("plain", available: false)],
        lastError: nastyError)

    /// The two pages by name, so that test reports name the page rather than print it.
    static let pages = [
        "overview": StatusPage.overview(
            providers: [provider],
            best: Fixtures.best(nastyProvider, reason: "<b>reason</b>", alternatives: [nastyModel]),
            generatedAt: Fixtures.now, version: "<v1>"),
        "details": StatusPage.details(provider: provider, generatedAt: Fixtures.now, version: "<v1>"),
    ]

    @Test("no raw markup from names, errors or the version reaches the page", arguments: ["overview", "details"])
    func noRawMarkup(name: String) throws {
        let page = try #require(Self.pages[name])
        // The page has no script of its own, so any `<script` would be an injection.
        #expect(!page.lowercased().contains("<script"))
        #expect(!page.contains("<img"))
        #expect(!page.contains("<b>reason"))
        #expect(!page.contains("<v1>"))
        #expect(!page.contains("\" onmouseover=\"x"))
        #expect(!page.contains("\u{0}"))
        #expect(!page.contains("\u{1B}"))
    }

    @Test("names and errors are shown escaped, unicode intact", arguments: ["overview", "details"])
    func shownEscaped(name: String) throws {
        let page = try #require(Self.pages[name])
        #expect(page.contains(
            "&lt;script&gt;alert(&quot;p&quot;)&lt;/script&gt; &amp; &#39;co&#39; &quot; onmouseover=&quot;x ünïcødé 🚀"))
        #expect(page.contains("&lt;script&gt;document.cookie&lt;/script&gt; &amp; &quot;quoted&quot;"))
    }

    @Test("the details link percent-encodes the name, then escapes it")
    func detailsLink() throws {
        let page = try #require(Self.pages["overview"])
        #expect(page.contains("href=\"/providers/%3Cscript%3Ealert%28%22p%22%29%3C%2Fscript%3E%20%26%20"))
    }

    @Test("model names are escaped on the details page")
    func modelNames() throws {
        #expect(try #require(Self.pages["details"]).contains(
            "data-model=\"&lt;img src=x onerror=alert(1)&gt;/model&#39;s &quot;name&quot; &amp; more\""))
    }

    @Test("a very long error is cut on the overview")
    func longError() {
        let provider = Fixtures.provider(
            "p", status: .down, lastError: String(repeating: "x", count: 10_000))
        let page = StatusPage.overview(providers: [provider], best: nil, generatedAt: Fixtures.now, version: "1")
        #expect(page.contains(String(repeating: "x", count: 300) + "…"))
        #expect(!page.contains(String(repeating: "x", count: 301)))
    }
}

@Suite("Status page escaping, field by field")
struct FieldEscapingTests {
    static let hostile = "<script>alert(1)</script>\"'&"
    static let escaped = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"

    /// Each field that carries outside text, and the pages it shows on.
    enum Field: String, CaseIterable {
        case providerName, modelName, lastError, bestReason, bestAlternative, version
    }

    /// The pages with `hostile` in `field` and plain text everywhere else.
    static func pages(_ field: Field) -> [String] {
        func text(_ f: Field, _ plain: String) -> String { f == field ? hostile : plain }
        let provider = Fixtures.provider(
            text(.providerName, "p"), status: .degraded,
            models: [Fixtures.model(text(.modelName, "m"), available: false)],
            lastError: text(.lastError, "HTTP 500"))
        let best = Fixtures.best(
            provider.rollup.provider, reason: text(.bestReason, "best"),
            alternatives: [text(.bestAlternative, "q")])
        let version = text(.version, "1")
        return [
            StatusPage.overview(providers: [provider], best: best, generatedAt: Fixtures.now, version: version),
            StatusPage.details(provider: provider, generatedAt: Fixtures.now, version: version),
        ]
    }

    @Test("every field that carries outside text is shown escaped, never as markup", arguments: Field.allCases)
    func escaped(field: Field) {
        let pages = Self.pages(field)
        for page in pages {
            #expect(!page.lowercased().contains("<script"), "raw <script from \(field)")
            #expect(!page.contains("\"'&"), "raw quotes from \(field)")
        }
        #expect(pages.contains { $0.contains(Self.escaped) }, "\(field) shown escaped")
    }
}
