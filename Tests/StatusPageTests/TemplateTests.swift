import HealthCore
import Mustache
import Testing

@testable import StatusPage

@Suite("Status page templates")
struct TemplateTests {
    @Test("every template escapes with the page's content type, and none prints a value unescaped")
    func escapingRules() {
        for (name, source) in PageTemplates.sources {
            // Mustache starts each partial over with its built-in HTML type, which lets control characters through.
            #expect(source.hasPrefix(PageContentType.pragma + "\n"), "\(name) declares the content type first")
            #expect(!source.contains("{{{"), "\(name) uses no triple mustache")
            #expect(!source.contains("{{&"), "\(name) uses no {{& }}")
        }
    }

    @Test("escaping keeps Latin-1 text and replaces C1 control characters")
    func latin1() {
        #expect(PageContentType.escape("a · b ü") == "a · b ü")
        #expect(PageContentType.escape("a\u{85}b\u{9F}") == "a\u{FFFD}b\u{FFFD}")
        #expect(PageContentType().escapeText("x<y") == "x&lt;y")
    }

    @Test("the stylesheet reaches the page whole, unescaped")
    func stylesheet() {
        let page = StatusPage.overview(providers: Fixtures.demo, best: nil, generatedAt: Fixtures.now, version: "1")
        #expect(page.contains("<style>\n" + Stylesheet.css + "</style>"))
    }

    /// The views of every shape the fixtures give: optionals both set and nil, empty and full lists.
    static var views: [Any] {
        var limited = Fixtures.provider("limited", status: .rateLimited, lastError: "HTTP 429")
        limited.rollup.rateLimit = RateLimitSnapshot(
            requestsRemaining: 3, requestsLimit: 100, tokensRemaining: 5, tokensLimit: 10, retryAfterSeconds: 5)
        let providers = Fixtures.demo + [limited]
        let details = providers.flatMap { provider -> [DetailsView] in
            [nil, Fixtures.now].map { DetailsPage.view(provider: provider, generatedAt: $0, version: "1") }
        }
        return [
            OverviewPage.view(
                providers: providers, best: Fixtures.best("demo-healthy", reason: "r", alternatives: ["x"]),
                generatedAt: Fixtures.now, version: "1"),
            OverviewPage.view(providers: [], best: Fixtures.best(nil, reason: "none"), generatedAt: nil, version: "1"),
            DetailsPage.view(
                provider: Fixtures.provider("e", status: .down, models: []), generatedAt: nil, version: "1"),
        ] + details
    }

    @Test("every view reads each of its fields by its own name, without reflection")
    func viewsReadByName() {
        for view in Self.views { checkReadsByName(view, path: String(describing: type(of: view))) }
    }

    /// Walks a view: each struct in it answers `child(named:)` for each stored property with that property.
    func checkReadsByName(_ value: Any, path: String) {
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            if let wrapped = mirror.children.first?.value { checkReadsByName(wrapped, path: path) }
        case .collection:
            for (index, element) in mirror.children.enumerated() {
                checkReadsByName(element.value, path: "\(path)[\(index)]")
            }
        case .struct:
            guard let parent = value as? MustacheParent else {
                Issue.record("\(path) (\(type(of: value))) is read through reflection")
                return
            }
            for case (let label?, let field) in mirror.children {
                let isOptional = Mirror(reflecting: field).displayStyle == .optional
                let expected: Any? = isOptional ? Mirror(reflecting: field).children.first?.value : field
                let read = parent.child(named: label)
                #expect(
                    read.map { String(describing: $0) } == expected.map { String(describing: $0) }, "\(path).\(label)")
                checkReadsByName(field, path: "\(path).\(label)")
            }
        default:
            break
        }
    }
}
