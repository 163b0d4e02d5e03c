import Foundation
import HealthCore
import StatusPage
import Testing

@Suite("Status page overview")
struct OverviewPageTests {
    let page = StatusPage.overview(
        providers: Fixtures.demo, best: Fixtures.demoBest, generatedAt: Fixtures.now, version: "1.2.3")

    @Test("one row per provider, carrying its status as data-status, as class and as text")
    func oneRowPerProvider() {
        #expect(Fixtures.occurrences(of: "<tr class=\"provider ", in: page) == Fixtures.demo.count)
        for provider in Fixtures.demo {
            let status = provider.rollup.status.rawValue
            let row = "<tr class=\"provider status-\(status)\" data-status=\"\(status)\" "
                + "data-provider=\"\(provider.rollup.provider)\">"
            #expect(page.contains(row), "row of \(provider.rollup.provider)")
        }
        #expect(page.contains("<span class=\"badge\">rate limited</span>"))
        #expect(page.contains("<span class=\"badge\">unauthorized</span>"))
    }

    @Test("rows keep the order they were given in")
    func rowOrder() throws {
        let positions = try Fixtures.demo.map { p in
            try #require(page.range(of: "data-provider=\"\(p.rollup.provider)\"")).lowerBound
        }
        #expect(positions == positions.sorted())
    }

    @Test("the best provider is announced above the table, and marked in its row")
    func bestProvider() throws {
        let banner = try #require(page.range(of: "id=\"best\" data-best=\"demo-healthy\"")).lowerBound
        let table = try #require(page.range(of: "<table id=\"providers\">")).lowerBound
        #expect(banner < table)
        #expect(page.contains("the only healthy provider (score 0.98)"))
        #expect(Fixtures.occurrences(of: "★ best", in: page) == 1)
    }

    @Test("with no healthy provider the banner says so")
    func noHealthyProvider() {
        let choice = Fixtures.best(nil, reason: "no provider is healthy")
        let page = StatusPage.overview(
            providers: [Fixtures.provider("a", status: .down)], best: choice, generatedAt: Fixtures.now, version: "1")
        #expect(page.contains("<section class=\"best status-down\" id=\"best\" data-best=\"\">"))
        #expect(page.contains("No healthy provider</strong> — no provider is healthy"))
        #expect(!page.contains("★ best"))
    }

    @Test("every column is filled: score, latency in ms, rates in %, breaker, relative last check, last error")
    func columns() {
        #expect(page.contains("<td data-label=\"Score\" class=\"num\">0.98</td>"))
        #expect(page.contains("<td data-label=\"p50\" class=\"num\">45 ms</td>"))
        #expect(page.contains("<td data-label=\"p95\" class=\"num\">81 ms</td>"))
        #expect(page.contains("<td data-label=\"Error rate\" class=\"num\">2 %</td>"))
        #expect(page.contains("<td data-label=\"Uptime 24 h\" class=\"num\">99.5 %</td>"))
        #expect(page.contains("<td data-label=\"Breaker\">closed</td>"))
        #expect(page.contains(
            "<time datetime=\"2023-11-14T22:13:20Z\" title=\"2023-11-14T22:13:20Z\">12 s ago</time>"))
        #expect(page.contains("connect: connection refused"))
        #expect(page.contains("Updated <time datetime=\"2023-11-14T22:13:32Z\">"))
    }

    @Test("rate limit left is the lowest remaining share")
    func rateLimit() {
        var provider = Fixtures.provider("limited", status: .rateLimited)
        provider.rollup.rateLimit = RateLimitSnapshot(
            requestsRemaining: 3, requestsLimit: 100, tokensRemaining: 5000, tokensLimit: 10000)
        let page = StatusPage.overview(providers: [provider], best: nil, generatedAt: Fixtures.now, version: "1")
        #expect(page.contains("<span title=\"requests 3/100, tokens 5000/10000\">3 %</span>"))
    }

    @Test("counts per status head the table")
    func summary() {
        #expect(page.contains("<li class=\"status-degraded\"><span class=\"badge\">2 degraded</span></li>"))
        #expect(page.contains("<li class=\"status-healthy\"><span class=\"badge\">1 healthy</span></li>"))
    }

    @Test("rows link to their details page")
    func links() {
        #expect(page.contains("<span><a class=\"name\" href=\"/providers/demo-flaky\">demo-flaky</a></span>"))
        #expect(StatusPage.detailsPath(of: "team a/ü?") == "/providers/team%20a%2F%C3%BC%3F")
    }

    @Test("links to /metrics and the API")
    func apiLinks() {
        for path in ["/metrics", "/api/providers/status", "/api/providers/best", "/health"] {
            #expect(page.contains("<a href=\"\(path)\">"), "link to \(path)")
        }
    }

    @Test("the version is in the footer")
    func version() {
        #expect(page.contains("<footer>provider-health-exporter 1.2.3 · last aggregation cycle 2023-11-14T22:13:32Z"))
    }
}
