import HealthCore
import StatusPage
import Testing

@Suite("Status page details")
struct DetailsPageTests {
    static let models = [
        Fixtures.model("gpt-a", available: true),
        Fixtures.model("gpt-b", available: false, failure: .modelMissing),
        Fixtures.model("gpt-c", available: true),
    ]

    static func page(generatedAt: Double? = Fixtures.now) -> String {
        var provider = Fixtures.provider("openai", status: .degraded, models: models, lastError: "HTTP 503")
        provider.rollup.rateLimit = RateLimitSnapshot(requestsRemaining: 40, requestsLimit: 50, requestsResetSeconds: 6)
        provider.rollup.breakerState = .halfOpen
        return StatusPage.details(provider: provider, generatedAt: generatedAt, version: "1")
    }

    @Test("every model is listed once with its availability")
    func everyModel() {
        let page = Self.page()
        #expect(Fixtures.occurrences(of: "<tr class=\"model ", in: page) == Self.models.count)
        for model in Self.models {
            let availability = model.available ? "available" : "unavailable"
            #expect(page.contains(
                "<tr class=\"model model-\(availability)\" data-model=\"\(model.name)\" "
                    + "data-available=\"\(model.available)\">"), "row of \(model.name)")
        }
        #expect(page.contains("<span class=\"badge\">unavailable</span>"))
        #expect(page.contains("<td data-label=\"Last failure\">model_missing</td>"))
    }

    @Test("the provider's status is shown as class, attribute and text")
    func status() {
        let page = Self.page()
        #expect(page.contains(
            "<section class=\"provider-summary status-degraded\" data-status=\"degraded\" data-provider=\"openai\""))
        #expect(page.contains("<h1 class=\"name\">openai</h1>"))
        #expect(page.contains("<span class=\"badge\">degraded</span>"))
    }

    @Test("facts: breaker, rate limit, last check both absolute and relative, last error")
    func facts() {
        let page = Self.page()
        #expect(page.contains("<dt>Circuit breaker</dt><dd>half open</dd>"))
        #expect(page.contains("<dt>Requests left</dt><dd>40 of 50 (80 %), resets in 6 s</dd>"))
        #expect(page.contains("<dt>Models available</dt><dd>2 of 3</dd>"))
        #expect(page.contains(
            "<dt>Last check</dt><dd><time datetime=\"2023-11-14T22:13:20Z\">2023-11-14T22:13:20Z</time> (12 s ago)</dd>"))
        #expect(page.contains("<dt>Last error</dt><dd><span class=\"error\">HTTP 503</span></dd>"))
        #expect(page.contains("<a href=\"/api/providers/status/openai\">"))
        #expect(page.contains("<a href=\"/\">"))
    }

    @Test("before the first cycle the details page says it is waiting and shows times as ISO only")
    func waiting() {
        let page = Self.page(generatedAt: nil)
        #expect(page.contains("Waiting for the first aggregation cycle"))
        #expect(!page.contains(" ago"))
    }

    @Test("a provider without models says so")
    func noModels() {
        let provider = Fixtures.provider("empty", status: .down, models: [])
        let page = StatusPage.details(provider: provider, generatedAt: Fixtures.now, version: "1")
        #expect(page.contains("No models reported yet."))
        #expect(!page.contains("<table id=\"models\">"))
    }
}
