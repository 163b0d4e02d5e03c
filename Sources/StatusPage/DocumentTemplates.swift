/// The frame of every page, as a Mustache parent: pages fill its `header` and `main` blocks. The stylesheet is
/// spliced into the template's source, not passed as a value: it is ours, and a value would be escaped.
/// The CSP allows nothing but the inline stylesheet: no scripts, no external fetches, even if a name slipped past
/// escaping. `data:,` as the icon keeps browsers from asking for /favicon.ico.
enum DocumentTemplates {
    static let document = """
        \(PageContentType.pragma)
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        {{#frame}}
        <meta http-equiv="refresh" content="{{refreshSeconds}}">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; \
        img-src data:; base-uri 'none'; form-action 'none'">
        <link rel="icon" href="data:,">
        <title>{{title}}</title>
        {{/frame}}
        <style>
        \(Stylesheet.css)</style>
        </head>
        <body>
        <main>
        {{$header}}
        {{/header}}
        {{#frame}}
        <nav class="links">{{#links}}<a href="{{href}}">{{label}}</a>{{^last()}} {{/last()}}{{/links}}</nav>
        {{/frame}}
        {{$main}}
        {{/main}}
        {{#frame}}
        <footer>provider-health-exporter {{version}} · {{generated}} · \
        this page refreshes every {{refreshSeconds}} s</footer>
        {{/frame}}
        </main>
        </body>
        </html>

        """

    /// A `MomentView` inside running text.
    static let time = """
        \(PageContentType.pragma)
        <time datetime="{{iso}}" title="{{iso}}">{{shown}}</time>
        """
}
