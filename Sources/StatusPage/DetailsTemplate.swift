/// One provider at `/providers/{name}` (`DetailsView`): every figure the rollup has, then one row per model.
/// A row is one line of HTML; the trailing backslashes only wrap the source.
enum DetailsTemplate {
    static let source = """
        \(PageContentType.pragma)
        {{<document}}
        {{$main}}
        <section class="provider-summary status-{{status}}" data-status="{{status}}" data-provider="{{name}}" \
        data-path="{{pathSegment}}">
        <h1 class="name">{{name}}</h1>
        <p><span class="badge">{{statusLabel}}</span> {{advice}}</p>
        </section>
        {{#waiting}}
        <p class="notice" id="waiting">Waiting for the first aggregation cycle.</p>
        {{/waiting}}
        <h2>Summary</h2>
        {{#facts}}
        <dl class="facts">
        <dt>Found this cycle</dt><dd>{{found}}</dd>
        <dt>Health score</dt><dd>{{score}}</dd>
        <dt>Available</dt><dd>{{available}}</dd>
        <dt>Models available</dt><dd>{{modelsAvailable}}</dd>
        <dt>Error rate</dt><dd>{{errorRate}}</dd>
        <dt>Latency p50 / p95 / p99</dt><dd>{{latencies}}</dd>
        <dt>Uptime 24 h</dt><dd>{{uptime}}</dd>
        <dt>Circuit breaker</dt><dd>{{breaker}}</dd>
        <dt>Consecutive failures</dt><dd>{{consecutiveFailures}}</dd>
        {{#rateLimit}}
        {{#requestsLeft}}
        <dt>Requests left</dt><dd>{{.}}</dd>
        {{/requestsLeft}}
        {{#tokensLeft}}
        <dt>Tokens left</dt><dd>{{.}}</dd>
        {{/tokensLeft}}
        {{#retryAfter}}
        <dt>Retry after</dt><dd>{{.}}</dd>
        {{/retryAfter}}
        {{/rateLimit}}
        {{^rateLimit}}
        <dt>Rate limit</dt><dd>not reported by the provider</dd>
        {{/rateLimit}}
        <dt>Last check</dt><dd>{{#lastCheck}}{{>timeAndAgo}}{{/lastCheck}}{{^lastCheck}}—{{/lastCheck}}</dd>
        <dt>Last result</dt><dd>{{#lastResult}}{{>timeAndAgo}}{{/lastResult}}{{^lastResult}}—{{/lastResult}}</dd>
        <dt>Last error</dt><dd><span class="error">{{lastError}}</span></dd>
        </dl>
        {{/facts}}
        <h2>Models</h2>
        {{#modelTable}}
        <div class="table-scroll">
        <table id="models">
        <thead><tr><th scope="col">Model</th><th scope="col">Availability</th>\
        <th scope="col" class="num">Error rate</th><th scope="col" class="num">Results</th>\
        <th scope="col" class="num">p50</th><th scope="col" class="num">p95</th>\
        <th scope="col">Last result</th><th scope="col">Last failure</th></tr></thead>
        <tbody>
        {{#models}}
        <tr class="model model-{{availability}}" data-model="{{modelName}}" data-available="{{isAvailable}}">\
        <td data-label="Model"><span class="name">{{modelName}}</span></td>\
        <td data-label="Availability"><span class="badge">{{availability}}</span></td>\
        <td data-label="Error rate" class="num">{{modelErrorRate}}</td>\
        <td data-label="Results" class="num">{{results}}</td>\
        <td data-label="p50" class="num">{{p50}}</td>\
        <td data-label="p95" class="num">{{p95}}</td>\
        <td data-label="Last result">{{#lastSeen}}{{>time}}{{/lastSeen}}{{^lastSeen}}—{{/lastSeen}}</td>\
        <td data-label="Last failure">{{lastFailure}}</td></tr>
        {{/models}}
        </tbody>
        </table>
        </div>
        {{/modelTable}}
        {{^modelTable}}
        <p class="notice" id="no-models">No models reported yet.</p>
        {{/modelTable}}
        {{/main}}
        {{/document}}
        """

    /// A `DatedView`: the absolute time, then how long ago it was when there is a cycle to measure from.
    static let timeAndAgo = """
        \(PageContentType.pragma)
        <time datetime="{{iso}}">{{iso}}</time>{{#ago}} ({{.}}){{/ago}}
        """
}
