import HealthCore
@testable import StatusPage
import Testing

@Suite("Status page frame")
struct PageFrameTests {
    /// The two pages by name, so that test reports name the page rather than print it.
    static let pages = [
        "overview": StatusPage.overview(providers: Fixtures.demo, best: Fixtures.demoBest, generatedAt: Fixtures.now, version: "1"),
        "details": StatusPage.details(provider: Fixtures.demo[0], generatedAt: Fixtures.now, version: "1"),
    ]

    @Test("before the first cycle: a waiting notice and no rows")
    func waitingForFirstCycle() {
        let page = StatusPage.overview(providers: [], best: nil, generatedAt: nil, version: "1")
        #expect(page.contains("<p class=\"notice\" id=\"waiting\">Waiting for the first aggregation cycle"))
        #expect(!page.contains("<tr class=\"provider"))
        #expect(!page.contains("id=\"best\""))
        #expect(page.contains("no aggregation cycle yet"))
    }

    @Test("after a cycle with no providers: says none are configured, no waiting notice")
    func noProviders() {
        let choice = Fixtures.best(nil, reason: "no providers configured")
        let page = StatusPage.overview(providers: [], best: choice, generatedAt: Fixtures.now, version: "1")
        #expect(page.contains("No providers are configured."))
        #expect(!page.contains("Waiting for the first aggregation cycle"))
        #expect(!page.contains("<table"))
    }

    @Test("self-contained: refresh every 30 s, phone viewport, inline style, nothing fetched", arguments: ["overview", "details"])
    func selfContained(name: String) throws {
        let page = try #require(Self.pages[name])
        #expect(page.hasPrefix("<!DOCTYPE html>\n"))
        #expect(page.contains("<meta http-equiv=\"refresh\" content=\"30\">"))
        #expect(page.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"))
        #expect(page.contains("<meta charset=\"utf-8\">"))
        #expect(page.contains("<style>"))
        #expect(page.contains("@media (max-width: 600px)"))
        #expect(!page.contains("src="))
        #expect(!page.contains("<link rel=\"stylesheet\""))
        #expect(!page.contains("http://") && !page.contains("https://"))
        #expect(page.hasSuffix("</html>\n"))
    }

    @Test("the stylesheet reaches the page whole, unescaped")
    func stylesheet() {
        let page = StatusPage.overview(providers: Fixtures.demo, best: nil, generatedAt: Fixtures.now, version: "1")
        #expect(page.contains("<style>\n" + Stylesheet.css + "</style>"))
    }

    @Test("each status class maps to its colour: green, amber, orange, purple, red")
    func colours() throws {
        let page = try #require(Self.pages["overview"])
        let expected: [(ProviderStatus, String)] = [
            (.healthy, "#1a7f37"), (.degraded, "#d4a017"), (.rateLimited, "#e8590c"), (.unauthorized, "#8250df"),
            (.down, "#cf222e"),
        ]
        for (status, colour) in expected {
            #expect(page.contains(".status-\(status.rawValue) { --status: \(colour);"), "colour of \(status)")
        }
        #expect(Set(expected.map(\.1)).count == ProviderStatus.allCases.count)
        #expect(page.contains("tr.provider td:first-child { border-left: 6px solid var(--status); }"))
        #expect(page.contains("background: var(--status)"))
    }
}
