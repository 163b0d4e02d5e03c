/// The overview at `/` (`OverviewView`): the best provider, counts per status, one row per provider.
/// A row is one line of HTML; the trailing backslashes only wrap the source.
enum OverviewTemplate {
    static let source = """
        \(PageContentType.pragma)
        {{<document}}
        {{$header}}
        <header>
        <h1>Provider health</h1>
        {{#updated}}
        <p class="meta">Updated <time datetime="{{.}}">{{.}}</time></p>
        {{/updated}}
        </header>
        {{/header}}
        {{$main}}
        {{#waiting}}
        <p class="notice" id="waiting">Waiting for the first aggregation cycle: \
        the figures appear once the providers have been probed and rolled up.</p>
        {{/waiting}}
        {{#best}}
        {{#chosen}}
        <section class="best status-healthy" id="best" data-best="{{name}}">\
        Best provider: <a href="{{path}}"><strong class="name">{{name}}</strong></a> — {{reason}}\
        {{#alternatives}}. Alternatives: {{.}}{{/alternatives}}</section>
        {{/chosen}}
        {{^chosen}}
        <section class="best status-down" id="best" data-best=""><strong>No healthy provider</strong> — {{reason}}\
        </section>
        {{/chosen}}
        {{/best}}
        {{#noProviders}}
        <p class="notice" id="no-providers">No providers are configured.</p>
        {{/noProviders}}
        {{#table}}
        <ul class="summary" aria-label="providers per status">\
        {{#statusCounts}}<li class="status-{{status}}"><span class="badge">{{text}}</span></li>{{/statusCounts}}\
        </ul>
        <div class="table-scroll">
        <table id="providers">
        <thead><tr><th scope="col">Status</th><th scope="col">Provider</th><th scope="col" class="num">Score</th>\
        <th scope="col" class="num">p50</th><th scope="col" class="num">p95</th>\
        <th scope="col" class="num">Error rate</th><th scope="col" class="num">Uptime 24 h</th>\
        <th scope="col" class="num">Rate limit left</th><th scope="col">Breaker</th><th scope="col">Last check</th>\
        <th scope="col">Last error</th></tr></thead>
        <tbody>
        {{#rows}}
        <tr class="provider status-{{status}}" data-status="{{status}}" data-provider="{{name}}">\
        <td data-label="Status"><span title="{{why}}"><span class="badge">{{statusLabel}}</span></span></td>\
        <td data-label="Provider"><span><a class="name" href="{{path}}">{{name}}</a>\
        {{#isBest}} <span class="best-tag" title="best provider">★ best</span>{{/isBest}}</span></td>\
        <td data-label="Score" class="num">{{score}}</td>\
        <td data-label="p50" class="num">{{p50}}</td>\
        <td data-label="p95" class="num">{{p95}}</td>\
        <td data-label="Error rate" class="num">{{errorRate}}</td>\
        <td data-label="Uptime 24 h" class="num">{{uptime}}</td>\
        <td data-label="Rate limit left" class="num">\
        {{#rateLimit}}<span title="{{detail}}">{{lowest}}</span>{{/rateLimit}}{{^rateLimit}}—{{/rateLimit}}</td>\
        <td data-label="Breaker">{{breaker}}</td>\
        <td data-label="Last check">{{#lastCheck}}{{>time}}{{/lastCheck}}{{^lastCheck}}—{{/lastCheck}}</td>\
        <td data-label="Last error" class="error">{{lastError}}</td></tr>
        {{/rows}}
        </tbody>
        </table>
        </div>
        {{/table}}
        {{/main}}
        {{/document}}
        """
}
