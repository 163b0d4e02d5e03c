import Mustache

/// The page's Mustache templates, compiled into the module (the binary needs no resource bundle) and parsed
/// once. Every value goes through `{{ }}`, so through `PageContentType`'s escaping; no template uses the
/// unescaped `{{{ }}}` or `{{& }}` forms (a test holds them to it).
///
/// The views are structs of formatted text, flags, optionals and arrays, and each conforms to `MustacheParent`:
/// Mustache reads a name through it when a view offers it, through `Mirror` otherwise, and reflection costs a
/// type-metadata lookup per field on every read (it made the 50-provider overview about 20 times slower).
enum PageTemplates {
    /// The pages; the other templates are their parent and partials.
    enum Page: String {
        case overview
        case details
    }

    /// Every template by the name the others use for it.
    static let sources: [String: String] = [
        Page.overview.rawValue: OverviewTemplate.source,
        Page.details.rawValue: DetailsTemplate.source,
        "document": DocumentTemplates.document,
        "time": DocumentTemplates.time,
        "timeAndAgo": DetailsTemplate.timeAndAgo,
    ]

    static let library: MustacheLibrary = {
        // Before parsing: the parser looks the content type's name up in this registry.
        MustacheContentTypes.register(PageContentType(), named: PageContentType.name)
        var library = MustacheLibrary()
        for (name, source) in sources {
            do {
                try library.register(source, named: name)
            } catch {
                // The sources are constants: a test renders every one of them.
                fatalError("status page template \(name) does not parse: \(error)")
            }
        }
        return library
    }()

    static func render(_ view: Any, with page: Page) -> String {
        guard let html = library.render(view, withTemplate: page.rawValue) else {
            fatalError("no status page template \(page.rawValue)")
        }
        return html
    }
}
