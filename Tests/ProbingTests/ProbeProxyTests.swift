import Probing
import Testing

@Suite struct ProbeProxyTests {
    private func origin(_ url: String) -> ProbeURL.Origin { ProbeURL(url)!.origin }

    @Test func proxyURLsParseWithAndWithoutSchemeAndCredentials() {
        #expect(ProbeProxy.Server(url: "http://proxy.internal:3128") == .init(host: "proxy.internal", port: 3128))
        #expect(ProbeProxy.Server(url: "proxy.internal:3128/") == .init(host: "proxy.internal", port: 3128))
        #expect(ProbeProxy.Server(url: "http://proxy.internal") == .init(host: "proxy.internal", port: 80))
        #expect(ProbeProxy.Server(url: "http://[::1]:8080") == .init(host: "::1", port: 8080))
        let withCredentials = ProbeProxy.Server(url: "http://probe%40corp:p%3Ass@proxy:3128")
        #expect(withCredentials?.username == "probe@corp")
        #expect(withCredentials?.password == "p:ss")
        #expect(withCredentials?.host == "proxy")
    }

    @Test func credentialsNeverAppearInTheDescription() {
        let server = ProbeProxy.Server(url: "http://user:hunter2@proxy:3128")
        #expect(server?.description == "http://proxy:3128")
    }

    @Test func unsupportedOrMalformedProxyURLsAreRefused() {
        #expect(ProbeProxy.Server(url: "https://proxy:3128") == nil)
        #expect(ProbeProxy.Server(url: "socks5://proxy:1080") == nil)
        #expect(ProbeProxy.Server(url: "http://proxy:3128/path") == nil)
        #expect(ProbeProxy.Server(url: "http://proxy:99999") == nil)
        #expect(ProbeProxy.Server(url: "") == nil)
    }

    @Test func eachSchemeUsesItsOwnVariableAndLowerCaseWins() {
        let (proxy, invalid) = ProbeProxy.fromEnvironment([
            "HTTPS_PROXY": "http://upper:1", "https_proxy": "http://lower:2", "HTTP_PROXY": "http://plain:3",
        ])
        #expect(invalid.isEmpty)
        #expect(proxy.server(for: origin("https://api.openai.com/v1")) == .init(host: "lower", port: 2))
        #expect(proxy.server(for: origin("http://ollama:11434/api")) == .init(host: "plain", port: 3))
        #expect(ProbeProxy.fromEnvironment([:]).proxy == .none)
        #expect(ProbeProxy.none.server(for: origin("https://api.openai.com")) == nil)
    }

    @Test func aMalformedVariableIsNamedNotUsed() {
        let (proxy, invalid) = ProbeProxy.fromEnvironment(["HTTPS_PROXY": "socks5://user:secret@proxy:1080"])
        #expect(proxy == .none)
        #expect(invalid == ["HTTPS_PROXY"])
    }

    @Test func noProxyMatchesHostsSubdomainsPortsAndEverything() {
        let proxy = ProbeProxy(
            httpsServer: .init(host: "proxy", port: 3128), httpServer: .init(host: "proxy", port: 3128),
            bypass: [" .internal.example", "localhost", "127.0.0.1:8080", "[::1]", "*.corp"])
        #expect(proxy.server(for: origin("https://llm.internal.example")) == nil)
        #expect(proxy.server(for: origin("https://internal.example")) == nil)
        #expect(proxy.server(for: origin("http://localhost:11434")) == nil)
        #expect(proxy.server(for: origin("http://127.0.0.1:8080")) == nil)
        #expect(proxy.server(for: origin("http://[::1]:9000")) == nil)
        #expect(proxy.server(for: origin("https://gpu.corp")) == nil)
        // Neither a suffix that is not a whole label, nor another port, nor an unlisted host.
        #expect(proxy.server(for: origin("https://notinternal.example")) != nil)
        #expect(proxy.server(for: origin("http://127.0.0.1:9000")) != nil)
        #expect(proxy.server(for: origin("https://api.openai.com")) != nil)
        let everything = ProbeProxy(httpsServer: .init(host: "proxy", port: 3128), bypass: ["*"])
        #expect(everything.server(for: origin("https://api.openai.com")) == nil)
    }

    @Test func noProxyComesFromEitherCase() {
        let (proxy, _) = ProbeProxy.fromEnvironment(["HTTPS_PROXY": "proxy:3128", "NO_PROXY": "openai.com"])
        #expect(proxy.server(for: origin("https://api.openai.com")) == nil)
        #expect(proxy.server(for: origin("https://api.anthropic.com")) == .init(host: "proxy", port: 3128))
    }
}
