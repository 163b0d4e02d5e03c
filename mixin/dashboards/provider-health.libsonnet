// The "Provider health" dashboard. Every panel queries the exporter's raw series (no recording rule).
{
  grafanaDashboards+:: {
    local c = $._config,
    local d = c.dashboards,
    local lib = (import 'lib.libsonnet')(c),
    // Matchers of a provider panel: job, instance, the provider variable and `extra`.
    local s(extra='') = lib.selector('provider=~"$provider"' + (if extra == '' then '' else ', ' + extra)),
    local m(extra='') = lib.selector('provider=~"$provider", model=~"$model"' + (if extra == '' then '' else ', ' + extra)),
    local ts = lib.timeseries,
    local t = lib.target,

    local statusMappings(values) = lib.mappings([
      [values[0], 'healthy', 'green'],
      [values[1], 'degraded', 'yellow'],
      [values[2], 'rate_limited', 'orange'],
      [values[3], 'unauthorized', 'purple'],
      [values[4], 'down', 'red'],
    ]),
    local quantile(q, by, selector, histogram='provider_response_time_seconds') =
      'histogram_quantile(%s, sum by (%s, le) (rate(%s_bucket%s[$__rate_interval])))' % [q, by, histogram, selector],
    local modelQuantile(q, selector) =
      'histogram_quantile(%s, sum by (provider, model, source, operation, le) (rate(model_response_time_seconds_bucket%s[$__rate_interval])))' % [q, selector],
    local staleBelow = 'max by (instance, provider) (provider_probe_interval_seconds%s)' % s(),

    'provider-health.json': lib.dashboard(
      d.providerHealthUID,
      'Provider health',
      'Health of the LLM API providers watched by provider-health-exporter.',
      ['llm'],
      [{ title: 'Exporter health', url: '/d/%s/exporter-health' % d.exporterHealthUID }],
      [
        lib.datasourceVariable,
        lib.jobVariable,
        lib.instanceVariable,
        lib.queryVariable('provider', 'label_values(provider_status%s, provider)' % lib.selector()),
        lib.queryVariable('model', 'label_values(model_availability%s, model)' % lib.selector('provider=~"$provider"')),
      ],
      [
        lib.row('Overview', 'Current state of every selected provider.'),
        lib.tablePanel(
          'Provider status',
          'Current status, health score, error rate and the error-rate threshold the exporter applies, results in '
          + 'the window, consecutive failures and models available per provider, from the last aggregation cycle. '
          + 'With several instances selected, each column shows the worst value any instance reports.',
          [
            lib.table('max by (provider, status) (provider_status%s) == 1' % s()),
            lib.table('min by (provider) (provider_health_score%s)' % s()),
            lib.table('max by (provider) (provider_error_rate%s)' % s()),
            lib.table('max by (provider) (provider_error_rate_threshold%s)' % s()),
            lib.table('min by (provider) (provider_window_results%s)' % s()),
            lib.table('max by (provider) (provider_consecutive_failures%s)' % s()),
            lib.table('min by (provider) (provider_models_available%s)' % s()),
            lib.table('max by (provider) (provider_models%s)' % s()),
          ],
          [
            ['provider', 'Provider'],
            ['status', 'Status'],
            ['Value #B', 'Health score'],
            ['Value #C', 'Error rate'],
            ['Value #D', 'Error-rate threshold'],
            ['Value #E', 'Window results'],
            ['Value #F', 'Consecutive failures'],
            ['Value #G', 'Models available'],
            ['Value #H', 'Models total'],
          ],
          hidden=['Time', 'Value #A'],
          w=16,
          h=9,
          sortBy='Provider',
          overrides=[
            lib.column('Status', mappings=statusMappings(['healthy', 'degraded', 'rate_limited', 'unauthorized', 'down'])),
            lib.column('Health score', unit='percentunit', decimals=0),
            lib.column('Error rate', unit='percentunit', decimals=1),
            lib.column('Error-rate threshold', unit='percentunit', decimals=1),
          ],
        ),
        lib.stat(
          'Best provider',
          "The healthy provider with the highest health score, where to route traffic now (provider_best). Shows 'none healthy' when no provider is healthy.",
          'none',
          [lib.instant('max by (provider) (provider_best%s) == 1' % s(), '{{provider}}')],
          8,
          5,
          defaults={ noValue: 'none healthy', color: { mode: 'fixed', fixedColor: 'green' } },
          options={ textMode: 'name', colorMode: 'background', justifyMode: 'center', orientation: 'auto' },
        ),
        lib.stat(
          'Healthy providers',
          'Number of selected providers whose current status is healthy on at least one instance.',
          'none',
          [lib.instant('count(max by (provider) (provider_status%s) == 1) or on() vector(0)' % s('status="healthy"'))],
          8,
          4,
          defaults={ thresholds: { mode: 'absolute', steps: [{ color: 'red', value: null }, { color: 'green', value: 1 }] } },
          options={ textMode: 'value', colorMode: 'background' },
        ),
        lib.stateTimeline(
          'Status over time',
          'Status of each provider over time: healthy, degraded, rate_limited (slow down), unauthorized (fix the key) or down. With several instances, the worst status any of them reports.',
          [t(|||
            max by (provider) (
              provider_status%(degraded)s
              + ignoring(status) 2 * provider_status%(rate_limited)s
              + ignoring(status) 3 * provider_status%(unauthorized)s
              + ignoring(status) 4 * provider_status%(down)s
            )
          ||| % {
            degraded: s('status="degraded"'),
            rate_limited: s('status="rate_limited"'),
            unauthorized: s('status="unauthorized"'),
            down: s('status="down"'),
          }, '{{provider}}')],
          statusMappings(['0', '1', '2', '3', '4']),
          'green',
          w=24,
        ),
        lib.tablePanel(
          'Active conditions',
          'The conditions each instance found true in its last aggregation cycle (provider_condition): '
          + 'unauthorized, outage, retry_after, quota_refusals, quota_low, model_outage, error_rate, latency, '
          + 'breaker, no_results. They decide the status; docs/runbook.md explains each.',
          [lib.table('max by (instance, provider, condition) (provider_condition%s) == 1' % s())],
          [['instance', 'Instance'], ['provider', 'Provider'], ['condition', 'Condition']],
          hidden=['Time', 'Value'],
          w=12,
          sortBy='Provider',
          noValue='no condition holds',
        ),
        lib.stateTimeline(
          'Conditions over time',
          'When each condition of each provider held on at least one instance (provider_condition = 1). Only conditions that held in the time range are shown.',
          [t('max by (provider, condition) (provider_condition%s) == 1' % s(), '{{provider}} {{condition}}')],
          lib.mappings([['1', 'true', 'orange']]),
          'orange',
          noValue='no condition held',
        ),

        lib.row('Health', 'Score, availability, errors and the evidence behind them.'),
        ts(
          'Health score',
          'Health score 0-100 % = availability x 0.4 + (1 - error rate) x 0.3 + latency score x 0.3 (lowest value over the selected instances).',
          'percentunit',
          [t('min by (provider) (provider_health_score%s)' % s(), '{{provider}}')],
          max=1,
        ),
        lib.stateTimeline(
          'Availability',
          'Whether at least one model of the provider answered successfully in the sliding window (provider_availability; lowest value over the selected instances).',
          [t('min by (provider) (provider_availability%s)' % s(), '{{provider}}')],
          lib.mappings([['1', 'available', 'green'], ['0', 'unavailable', 'red']]),
          'red',
        ),
        ts(
          'Error rate',
          "Share of failed results in the exporter's sliding window (provider_error_rate, highest over the selected instances) and, dashed, the provider's threshold (provider_error_rate_threshold): above it, with at least 2 failures, the exporter sets condition error_rate.",
          'percentunit',
          [
            t('max by (provider) (provider_error_rate%s)' % s(), '{{provider}}'),
            t('max by (provider) (provider_error_rate_threshold%s)' % s(), '{{provider}} threshold'),
          ],
          overrides=[lib.dashed('B')],
        ),
        ts(
          'Models available',
          'Models of the provider that answered successfully in the window, out of the configured models (provider_models_available / provider_models).',
          'short',
          [
            t('min by (provider) (provider_models_available%s)' % s(), '{{provider}} available'),
            t('max by (provider) (provider_models%s)' % s(), '{{provider}} total'),
          ],
        ),
        ts(
          'Evidence age',
          'Age of the newest result (probe or traffic) of each provider (provider_last_result_timestamp_seconds, newest over the selected instances). Providers without any result yet are left out.',
          's',
          [t('time() - max by (provider) (provider_last_result_timestamp_seconds%s > 0)' % s(), '{{provider}}')],
        ),
        ts(
          'Window results',
          "Results (probes and traffic) in the exporter's sliding window: the evidence the status stands on (provider_window_results, fewest over the selected instances). At 0 the exporter keeps the last status (condition no_results).",
          'short',
          [t('min by (provider) (provider_window_results%s)' % s(), '{{provider}}')],
          decimals=0,
        ),

        lib.row('Latency', 'Response time by source (probe or traffic) and operation (list_models, chat, ...), never mixed.'),
        ts(
          'Probe p95 against threshold',
          "p95 response time of the probes per operation (list_models: the model list request; chat: the completion probe) from the provider_response_time_seconds histogram, and, dashed, the threshold the exporter applies to it (provider_latency_threshold_seconds). The exporter sets condition latency from the p95 of its own window.",
          's',
          [
            t(quantile('0.95', 'provider, operation', s('source="probe"')), '{{provider}} {{operation}} p95'),
            t('max by (provider, operation) (provider_latency_threshold_seconds%s)' % s(), '{{provider}} {{operation}} threshold'),
          ],
          w=24,
          overrides=[lib.dashed('B')],
        ),
        ts(
          'Probe response time p50 / p95 / p99',
          'Latency quantiles of the probes per provider and operation, from the provider_response_time_seconds histogram (source="probe") of every selected instance.',
          's',
          [
            t(quantile(q, 'provider, operation', s('source="probe"')), '{{provider}} {{operation}} p%s' % std.strReplace(q, '0.', ''))
            for q in ['0.5', '0.95', '0.99']
          ],
        ),
        ts(
          'Traffic response time p50 / p95 / p99',
          'Latency quantiles of the outcomes a gateway reported (POST /api/v1/outcomes) per provider and operation, from the provider_response_time_seconds histogram (source="traffic"). Empty when no traffic is reported.',
          's',
          [
            t(quantile(q, 'provider, operation', s('source="traffic"')), '{{provider}} {{operation}} p%s' % std.strReplace(q, '0.', ''))
            for q in ['0.5', '0.95', '0.99']
          ],
          noValue='no traffic reported',
        ),
        ts(
          'Time to first token p50 / p95 / p99',
          'Time from the request to the first streamed token of the traffic a gateway reported (LiteLLM\'s completionStartTime, OpenTelemetry\'s gen_ai.response.time_to_first_chunk, time_to_first_token_seconds of an outcome), per provider and operation, from the provider_time_to_first_token_seconds histogram. Only streamed calls carry it.',
          's',
          [
            t(quantile(q, 'provider, operation', s('source="traffic"'), 'provider_time_to_first_token_seconds'), '{{provider}} {{operation}} p%s' % std.strReplace(q, '0.', ''))
            for q in ['0.5', '0.95', '0.99']
          ],
          noValue='no streamed traffic reported',
        ),

        lib.row('Probing', 'When each provider was probed, and when it is due again.'),
        ts(
          'Time since last probe',
          'Seconds since the exporter last probed each provider (provider_last_probe_timestamp_seconds, newest over the selected instances); it grows while a retry-after wait, the probe budget or an open breaker holds probes back. Providers never probed yet are left out.',
          's',
          [t('time() - max by (provider) (provider_last_probe_timestamp_seconds%s > 0)' % s(), '{{provider}}')],
        ),
        ts(
          'Next probe due in',
          'Seconds until each instance probes the provider again (provider_next_probe_timestamp_seconds; a retry-after wait, the probe budget or an open breaker move it later); negative when overdue. Dashed: the limit below which ProviderProbesStale fires, -(2 x probe interval + %d s).' % c.probesStaleSlackSeconds,
          's',
          [
            t('max by (instance, provider) (provider_next_probe_timestamp_seconds%s > 0) - time()' % s(), '{{instance}} {{provider}}'),
            t('-(2 * %s + %d)' % [staleBelow, c.probesStaleSlackSeconds], '{{instance}} {{provider}} stale below'),
          ],
          min=null,
          overrides=[lib.dashed('B')],
        ),

        lib.row('Limits and routing', 'Rate limits, retry-after waits, circuit breakers and the best provider.'),
        ts(
          'Rate-limit remaining',
          "Share of the request and token rate limit left, from the provider's rate-limit headers (providers that send none have no series), and, dashed, the threshold below which the exporter sets condition quota_low and the status becomes rate_limited (provider_rate_limit_remaining_threshold).",
          'percentunit',
          [
            t('min by (provider, resource) (provider_rate_limit_remaining_ratio%s)' % s(), '{{provider}} {{resource}}'),
            t('max by (provider) (provider_rate_limit_remaining_threshold%s)' % s(), '{{provider}} threshold'),
          ],
          max=1,
          overrides=[lib.dashed('B')],
        ),
        ts(
          'Retry-after pause',
          'Seconds left of a wait the provider asked for (429/402 retry-after, Gemini retryDelay): the exporter does not probe it until then (provider_retry_after_until_timestamp_seconds). Only providers with a wait in force are shown.',
          's',
          [t('max by (provider) (provider_retry_after_until_timestamp_seconds%s) - time() > 0' % s(), '{{provider}}')],
          noValue='no wait in force',
        ),
        lib.stateTimeline(
          'Circuit breaker state',
          'Circuit breaker of each provider: closed (probing normally), half_open (one trial probe) or open (not probed). With several instances, the most open state any of them reports.',
          [t(|||
            max by (provider) (
              provider_circuit_breaker_state%(half_open)s
              + ignoring(state) 2 * provider_circuit_breaker_state%(open)s
            )
          ||| % { half_open: s('state="half_open"'), open: s('state="open"') }, '{{provider}}')],
          lib.mappings([['0', 'closed', 'green'], ['1', 'half_open', 'yellow'], ['2', 'open', 'red']]),
          'green',
        ),
        ts(
          'Consecutive failures',
          'Failures in a row per provider; the circuit breaker opens at the configured threshold (default 5).',
          'short',
          [t('max by (provider) (provider_consecutive_failures%s)' % s(), '{{provider}}')],
          decimals=0,
        ),
        lib.stateTimeline(
          'Best provider over time',
          'Which provider was the best one (provider_best = 1) over time.',
          [t('max by (provider) (provider_best%s)' % s(), '{{provider}}')],
          lib.mappings([['1', 'best', 'green'], ['0', '-', 'transparent']]),
          'transparent',
          w=24,
        ),

        lib.row('Results', 'Probe and passive traffic results.'),
        ts(
          'Results by source (probe vs traffic)',
          'Results per second by source: probe (sent by the exporter) and traffic (outcomes pushed by a gateway to /api/v1/outcomes).',
          'ops',
          [t('sum by (provider, source) (rate(provider_results_total%s[$__rate_interval]))' % s(), '{{provider}} {{source}}')],
        ),
        ts(
          'Failures by reason',
          'Failed results per second by source and reason (timeout, connect, dns, tls, auth, rate_limited, http_4xx, http_5xx, bad_response, model_missing).',
          'ops',
          [t('sum by (provider, source, reason) (rate(provider_result_failures_total%s[$__rate_interval]))' % s(), '{{provider}} {{source}} {{reason}}')],
        ),

        lib.row('Models of $provider', 'Per-model drill-down: pick providers (and models) above.'),
        lib.tablePanel(
          'Model status',
          'Every model of the selected providers: available in the window (on no selected instance: no), and its error rate.',
          [
            lib.table('min by (provider, model) (model_availability%s)' % m()),
            lib.table('max by (provider, model) (model_error_rate%s)' % m()),
          ],
          [['provider', 'Provider'], ['model', 'Model'], ['Value #A', 'Available'], ['Value #B', 'Error rate']],
          overrides=[
            lib.column('Available', mappings=lib.mappings([['1', 'yes', 'green'], ['0', 'no', 'red']])),
            lib.column('Error rate', unit='percentunit', decimals=1),
          ],
        ),
        lib.stateTimeline(
          'Model availability',
          'Whether each model answered successfully in the sliding window (model_availability).',
          [t('min by (provider, model) (model_availability%s)' % m(), '{{provider}} {{model}}')],
          lib.mappings([['1', 'available', 'green'], ['0', 'unavailable', 'red']]),
          'red',
          w=24,
        ),
        ts(
          'Model error rate',
          'Share of failed results per model in the sliding window (model_error_rate).',
          'percentunit',
          [t('max by (provider, model) (model_error_rate%s)' % m(), '{{provider}} {{model}}')],
        ),
        ts(
          'Model response time p50 / p95',
          'Latency quantiles per model, source and operation from the model_response_time_seconds histogram: the completion probe (probe, chat) when it is on, and reported traffic. The model list request has no per-model series.',
          's',
          [
            t(modelQuantile(q, m()), '{{provider}} {{model}} {{source}} {{operation}} p%s' % std.strReplace(q, '0.', ''))
            for q in ['0.5', '0.95']
          ],
        ),
      ],
    ),
  },
}
