import HealthCore
import OutcomeIngest
import Testing

@testable import Exporter

/// Where a gateway's call lands: alias, then endpoint, then name — and never on a provider it did not go to.
@Suite struct TrafficRoutesTests {
    static func provider(_ name: String, _ baseURL: String, aliases: [String] = []) -> ProviderSettings {
        var settings = ProviderSettings(name: name, kind: .openai, baseURL: baseURL)
        settings.aliases = aliases
        return settings
    }

    let routes = TrafficRoutes(providers: [
        provider("openai", "https://api.openai.com/v1"),
        provider("anthropic", "https://api.anthropic.com", aliases: ["claude-sonnet"]),
        provider("fast", "http://127.0.0.1:8001/v1"),
        provider("broken", "http://127.0.0.1:8002/v1"),
        provider("azure-eu", "https://gw.example.com/eu/openai/v1", aliases: ["azure"]),
        provider("azure-us", "https://gw.example.com/us/openai/v1"),
    ])

    @Test func anAliasNamesItsProviderWhateverTheEndpoint() {
        #expect(routes.provider(for: ReportedRoute(provider: "azure")) == "azure-eu")
        #expect(routes.provider(for: ReportedRoute(provider: "openai", group: "claude-sonnet")) == "anthropic")
        #expect(routes.provider(for: ReportedRoute(provider: "azure", endpoint: "https://gw.example.com/us/openai/v1"))
            == "azure-eu")
    }

    @Test func theEndpointTellsOpenAICompatibleServersApart() {
        #expect(routes.provider(for: ReportedRoute(provider: "openai", endpoint: "http://127.0.0.1:8001/v1")) == "fast")
        #expect(routes.provider(for: ReportedRoute(provider: "openai", endpoint: "http://127.0.0.1:8002")) == "broken")
        #expect(routes.provider(for: ReportedRoute(endpoint: "127.0.0.1:8002")) == "broken")
        // OpenTelemetry's server.address without a port: the host alone, when one provider has it.
        #expect(routes.provider(for: ReportedRoute(endpoint: "api.openai.com")) == "openai")
        #expect(routes.provider(for: ReportedRoute(endpoint: "API.Anthropic.com:443")) == "anthropic")
        #expect(routes.provider(for: ReportedRoute(endpoint: "127.0.0.1")) == nil)
    }

    @Test func theLongestBasePathWinsOnASharedHost() {
        #expect(routes.provider(for: ReportedRoute(endpoint: "https://gw.example.com/us/openai/v1/chat/completions"))
            == "azure-us")
        #expect(routes.provider(for: ReportedRoute(endpoint: "https://gw.example.com/eu/openai/v1")) == "azure-eu")
        #expect(routes.provider(for: ReportedRoute(endpoint: "https://gw.example.com/")) == nil)
        #expect(routes.provider(for: ReportedRoute(endpoint: "https://gw.example.com/usx/openai/v1")) == nil)
    }

    @Test func aNameMatchesUnlessTheCallWentToAnotherHost() {
        #expect(routes.provider(for: ReportedRoute(provider: "openai")) == "openai")
        #expect(routes.provider(for: ReportedRoute(provider: "openai", endpoint: "https://api.openai.com/v1")) == "openai")
        // A local OpenAI-compatible server that is not configured: not OpenAI's failure.
        #expect(routes.provider(for: ReportedRoute(provider: "openai", endpoint: "http://10.0.0.7:8000/v1")) == nil)
        #expect(routes.provider(for: ReportedRoute(provider: "mistral")) == nil)
        #expect(routes.provider(for: ReportedRoute()) == nil)
    }

    @Test func unmatchedCallsAreNamedWithoutTakingAConfiguredName() {
        #expect(routes.unmatchedName(for: ReportedRoute(provider: "mistral")) == "mistral")
        #expect(routes.unmatchedName(for: ReportedRoute(group: "my-model")) == "my-model")
        #expect(routes.unmatchedName(for: ReportedRoute(provider: "openai", endpoint: "http://10.0.0.7:8000/v1"))
            == "10.0.0.7:8000")
        #expect(routes.unmatchedName(for: ReportedRoute(endpoint: "vllm.internal")) == "vllm.internal")
        #expect(routes.unmatchedName(for: ReportedRoute()) == nil)
    }

    @Test func randomRoutesNeverLandOnAProviderTheyDidNotName() {
        var generator = SystemRandomNumberGenerator()
        let names = ["openai", "anthropic", "fast", "broken", "azure", "azure-eu", "mistral", "", "claude-sonnet"]
        let endpoints = [
            "http://127.0.0.1:8001/v1", "127.0.0.1:8002", "api.openai.com", "https://gw.example.com/us/openai/v1",
            "http://10.0.0.7:8000", "not a url", "::1", "https://", "",
        ]
        for _ in 0..<2_000 {
            let route = ReportedRoute(
                provider: Bool.random(using: &generator) ? names.randomElement(using: &generator) : nil,
                group: Bool.random(using: &generator) ? names.randomElement(using: &generator) : nil,
                endpoint: Bool.random(using: &generator) ? endpoints.randomElement(using: &generator) : nil)
            guard let provider = routes.provider(for: route) else { continue }
            // Every match is explained by one of the three rules, and never contradicts the reported host.
            let byAlias = ["azure": "azure-eu", "claude-sonnet": "anthropic"]
            let hosts = [
                "openai": "api.openai.com", "anthropic": "api.anthropic.com", "fast": "127.0.0.1",
                "broken": "127.0.0.1", "azure-eu": "gw.example.com", "azure-us": "gw.example.com",
            ]
            let reportedHost = route.endpoint.flatMap(TrafficRoutes.parseEndpoint)?.host
            let aliased = [route.provider, route.group].contains { $0.flatMap { byAlias[$0] } == provider }
            let explained =
                aliased || (reportedHost != nil && reportedHost == hosts[provider])
                || (route.provider == provider && reportedHost == nil)
            #expect(aliased || reportedHost == nil || reportedHost == hosts[provider], "\(route) → \(provider)")
            #expect(explained, "\(route) → \(provider)")
        }
    }
}
