import Probing
import Testing

/// `ProxyEnvironment` against the cases of Go's `golang.org/x/net/http/httpproxy` tests (proxy_test.go), so the
/// exporter reads HTTPS_PROXY/HTTP_PROXY/NO_PROXY exactly as Go programs beside it do.
@Suite struct ProxyEnvironmentTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var environment: [String: String]
        var url = "http://example.com"
        /// The proxy's description, "direct", or the start of an "unusable" message.
        var want: String
        var testDescription: String { "\(environment) \(url)" }
    }

    static func choice(_ environment: [String: String], _ url: String) -> String {
        switch ProxyEnvironment(environment).choice(for: ProbeURL(url)!.origin) {
        case .direct: return "direct"
        case .through(let proxy): return proxy.description
        case .unusable(let message): return message
        }
    }

    /// Go's proxyForURLTests, with this client's answers where it differs: an https:// or socks5:// proxy is
    /// not supported (Go's transport would use it), so the probe fails as `proxy` saying so; ports are explicit.
    static let cases: [Case] = [
        Case(environment: ["HTTP_PROXY": "127.0.0.1:8080"], want: "http://127.0.0.1:8080"),
        Case(environment: ["HTTP_PROXY": "cache.corp.example.com:1234"], want: "http://cache.corp.example.com:1234"),
        Case(environment: ["HTTP_PROXY": "cache.corp.example.com"], want: "http://cache.corp.example.com:80"),
        Case(environment: ["HTTP_PROXY": "https://cache.corp.example.com"], want: "HTTP_PROXY (or its lower-case form): https:// proxies are not supported"),
        Case(environment: ["HTTP_PROXY": "http://127.0.0.1:8080"], want: "http://127.0.0.1:8080"),
        Case(environment: ["HTTP_PROXY": "socks5://127.0.0.1"], want: "HTTP_PROXY (or its lower-case form): socks5:// proxies are not supported"),
        // Don't use secure for http.
        Case(environment: ["HTTP_PROXY": "http.proxy.tld", "HTTPS_PROXY": "secure.proxy.tld"], url: "http://insecure.tld/", want: "http://http.proxy.tld:80"),
        // Use secure for https.
        Case(environment: ["HTTP_PROXY": "http.proxy.tld", "HTTPS_PROXY": "secure.proxy.tld"], url: "https://secure.tld/", want: "http://secure.proxy.tld:80"),
        // No fallback from HTTPS_PROXY to HTTP_PROXY.
        Case(environment: ["HTTP_PROXY": "http.proxy.tld"], url: "https://secure.tld/", want: "direct"),
        Case(environment: [:], want: "direct"),
        Case(environment: ["NO_PROXY": "example.com", "HTTP_PROXY": "proxy"], url: "http://example.com/", want: "direct"),
        Case(environment: ["NO_PROXY": ".example.com", "HTTP_PROXY": "proxy"], url: "http://example.com/", want: "http://proxy:80"),
        Case(environment: ["NO_PROXY": "ample.com", "HTTP_PROXY": "proxy"], url: "http://example.com/", want: "http://proxy:80"),
        Case(environment: ["NO_PROXY": "example.com", "HTTP_PROXY": "proxy"], url: "http://foo.example.com/", want: "direct"),
        Case(environment: ["NO_PROXY": ".foo.com", "HTTP_PROXY": "proxy"], url: "http://example.com/", want: "http://proxy:80"),
        // Upper case wins over lower case when both are set; an empty value does not count.
        Case(environment: ["HTTP_PROXY": "upper:1", "http_proxy": "lower:2"], want: "http://upper:1"),
        Case(environment: ["HTTP_PROXY": "", "http_proxy": "lower:2"], want: "http://lower:2"),
        Case(environment: ["https_proxy": "lower:3"], url: "https://example.com", want: "http://lower:3"),
        Case(environment: ["HTTP_PROXY": "p:1", "no_proxy": "example.com", "NO_PROXY": "other.com"], want: "http://p:1"),
        Case(environment: ["HTTP_PROXY": "p:1", "no_proxy": "example.com"], want: "direct"),
        // Credentials: decoded, sent, never shown.
        Case(environment: ["HTTPS_PROXY": "http://u%40corp:p%3Ass@p:3128"], url: "https://a.example", want: "http://u%40corp:<secret>@p:3128"),
    ]

    @Test(arguments: cases) func goProxyForURLCases(_ c: Case) {
        #expect(Self.choice(c.environment, c.url).hasPrefix(c.want))
    }

    /// Go's UseProxyTests with its NO_PROXY list, each host on port 80.
    static let noProxy =
        "foobar.com, .barbaz.net, *.wildcard.io, 192.168.1.1, 192.168.1.2:81, 192.168.1.3:80, 10.0.0.0/30, "
        + "2001:db8::52:0:1, [2001:db8::52:0:2]:443, [2001:db8::52:0:3]:80, 2002:db8:a::45/64"
    static let useProxyCases: [(host: String, proxied: Bool)] = [
        // Never proxy localhost.
        ("localhost", false), ("127.0.0.1", false), ("127.0.0.2", false), ("[::1]", false),
        ("[::2]", true),  // not a loopback address
        ("192.168.1.1", false),  // matches exact IPv4
        ("192.168.1.2", true),  // ports do not match
        ("192.168.1.3", false),  // matches exact IPv4:port
        ("192.168.1.4", true),  // no match
        ("10.0.0.2", false),  // matches IPv4/CIDR
        ("[2001:db8::52:0:1]", false),  // matches exact IPv6
        ("[2001:db8::52:0:2]", true),  // no match
        ("[2001:db8::52:0:3]", false),  // matches exact [IPv6]:port
        ("[2002:db8:a::123]", false),  // matches IPv6/CIDR
        ("[fe80::424b:c8be:1643:a1b6]", true),  // no match
        ("barbaz.net", true),  // does not match as .barbaz.net
        ("www.barbaz.net", false),  // does match as .barbaz.net
        ("foobar.com", false),  // does match as foobar.com
        ("www.foobar.com", false),  // match because NO_PROXY includes "foobar.com"
        ("foofoobar.com", true),  // not match as a part of foobar.com
        ("baz.com", true),  // not match as a part of barbaz.com
        ("localhost.net", true),  // not match as suffix of address
        ("local.localhost", true),  // not match as prefix as address
        ("barbarbaz.net", true),  // not match, wrong domain
        ("wildcard.io", true),  // does not match as *.wildcard.io
        ("nested.wildcard.io", false),  // match as *.wildcard.io
        ("awildcard.io", true),  // not a match because of '*'
        ("WWW.FOOBAR.COM", false),  // case does not matter
    ]

    @Test func goUseProxyCases() {
        for (host, proxied) in Self.useProxyCases {
            let got = Self.choice(["HTTP_PROXY": "proxy:3128", "NO_PROXY": Self.noProxy], "http://\(host):80/")
            #expect((got == "http://proxy:3128") == proxied, "\(host)")
        }
    }

    @Test func starExemptsEverythingAndLoopbackIsNeverProxied() {
        for (host, _) in Self.useProxyCases {
            #expect(Self.choice(["HTTP_PROXY": "proxy:3128", "NO_PROXY": "*"], "http://\(host):80/") == "direct", "\(host)")
        }
        for host in ["localhost", "127.0.0.1", "127.1.2.3", "[::1]"] {
            #expect(Self.choice(["HTTPS_PROXY": "proxy:3128"], "https://\(host)/") == "direct", "\(host)")
        }
    }

    /// Go's TestInvalidNoProxy: a malformed entry is ignored, not a crash.
    @Test func malformedNoProxyEntriesAreIgnored() {
        #expect(Self.choice(["HTTP_PROXY": "proxy:3128", "NO_PROXY": ":1"], "http://example.com/") == "http://proxy:3128")
        #expect(Self.choice(["HTTP_PROXY": "proxy:3128", "NO_PROXY": ",,  ,10.0.0.0/99,[::1"], "http://example.com/") == "http://proxy:3128")
    }

    @Test func portQualifiedDomainsMatchOnlyThatPort() {
        let environment = ["HTTPS_PROXY": "proxy:3128", "NO_PROXY": "api.example.com:443"]
        #expect(Self.choice(environment, "https://api.example.com/") == "direct")
        #expect(Self.choice(environment, "https://api.example.com:8443/") == "http://proxy:3128")
    }

    @Test func proxyURLParsing() throws {
        #expect(try ProbeProxy.parse("http://[2001:db8::1]:3128/").get() == ProbeProxy(host: "2001:db8::1", port: 3128))
        #expect(try ProbeProxy.parse("HTTP://Proxy.Corp:8080").get() == ProbeProxy(host: "proxy.corp", port: 8080))
        #expect(try ProbeProxy.parse("http://user@p:1").get() == ProbeProxy(host: "p", port: 1, username: "user"))
        for bad in ["http://", "http://p:0", "http://p:65536", "http://p:x", "http://p/path", "ftp://p", "http://u:%zz@p"] {
            #expect((try? ProbeProxy.parse(bad).get()) == nil, "\(bad)")
        }
    }
}
