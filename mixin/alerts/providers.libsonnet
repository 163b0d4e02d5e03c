// Alerts about the LLM providers. They read the exporter's own verdicts (provider_status, provider_condition,
// availability), so they agree with its status page, and aggregate over every instance of the job: an HA pair
// (two instances watching the same providers) and shards (--shard i/n, each watching a part) both stay right.
local alert = import 'alert.libsonnet';

{
  prometheusAlerts+:: {
    local c = $._config,
    local s = c.selector,
    local new(name, severity, expr, summary, description) = alert.new(c, name, severity, expr, summary, description),
    local forOf(name) = c.alertFor[name],
    // The selector of a query template, narrowed to the alert's job and provider.
    local jobProvider = s + ', job=%q, provider=%q',

    groups+: [
      {
        name: 'provider-health-exporter.providers',
        rules: [
          new(
            'ProviderDown',
            c.criticalSeverity,
            // min over instances: every instance that watches the provider must report it down. A dead
            // replica's series go stale, so the surviving one decides alone.
            |||
              min by (job, provider) (
                provider_status{%(s)s, status="down"}
              ) == 1
            ||| % { s: s },
            'LLM provider is down.',
            ('Every instance of {{ $labels.job }} that watches provider {{ $labels.provider }} has reported it down '
             + 'for at least %s: every configured model failed several probes in a row (condition outage).')
            % forOf('ProviderDown'),
          ),

          new(
            'ProviderUnauthorized',
            c.criticalSeverity,
            // Any instance: an instance holding a rejected key needs fixing even if its twin's key works.
            |||
              max by (job, provider) (
                provider_status{%(s)s, status="unauthorized"}
              ) == 1
            ||| % { s: s },
            'LLM provider rejects the API key.',
            ('Provider {{ $labels.provider }} has answered 401/403 for at least %s: the API key used by '
             + '{{ $labels.job }} is wrong, expired or revoked. Fix the key, not the provider.')
            % forOf('ProviderUnauthorized'),
          ),

          new(
            'ProviderRateLimited',
            c.warningSeverity,
            |||
              max by (job, provider) (
                provider_status{%(s)s, status="rate_limited"}
              ) == 1
            ||| % { s: s },
            'LLM provider is rate limiting.',
            ('Provider {{ $labels.provider }} has been rate limited for at least %s (HTTP 429/402 with a '
             + 'retry-after wait, most answers of a model refused for quota, or almost no requests/tokens left); '
             + 'conditions now: %s.')
            % [
              forOf('ProviderRateLimited'),
              alert.queryList('max by (condition) (provider_condition{%s, condition=~"retry_after|quota_refusals|quota_low"}) == 1' % jobProvider,
                              ['$labels.job', '$labels.provider'], 'condition', '{{ $s.Labels.condition }}', 'none'),
            ],
          ),

          new(
            'ProviderHighErrorRate',
            c.warningSeverity,
            // The exporter's own verdict (condition error_rate: window error rate above the provider's
            // threshold, and at least 2 failures), on any instance; the value is that instance's error rate.
            |||
              max by (job, provider) (
                provider_error_rate{%(s)s}
                and on (job, instance, provider)
                (provider_condition{%(s)s, condition="error_rate"} == 1)
              )
            ||| % { s: s },
            'LLM provider fails more requests than its threshold allows.',
            ('Provider {{ $labels.provider }} failed {{ $value | humanizePercentage }} of the results in the '
             + "exporter's window, above its threshold of %s (condition error_rate), for at least %s.")
            % [
              alert.queryValue('max(provider_error_rate_threshold{%s})' % jobProvider,
                               ['$labels.job', '$labels.provider'], 'humanizePercentage'),
              forOf('ProviderHighErrorRate'),
            ],
          ),

          new(
            'ProviderHighLatency',
            c.warningSeverity,
            // The exporter's own verdict (condition latency: a probe operation's p95 in the window above its
            // threshold, and at least 2 results above it), on any instance.
            |||
              max by (job, provider) (
                provider_condition{%(s)s, condition="latency"}
              ) == 1
            ||| % { s: s },
            'LLM provider responds slower than its threshold.',
            ('The p95 response time of a probe operation of provider {{ $labels.provider }} has been above its '
             + 'threshold for at least %(for)s (condition latency). p95 of the probes over the last %(w)s: %(list)s.')
            % {
              'for': forOf('ProviderHighLatency'),
              w: c.rateWindow,
              list: alert.queryList(
                ('histogram_quantile(0.95, sum by (operation, le) (rate(provider_response_time_seconds_bucket{%(sel)s, '
                 + 'source="probe"}[%(w)s]))) > on (operation) max by (operation) (provider_latency_threshold_seconds{%(sel)s})')
                % { sel: jobProvider, w: c.rateWindow },
                ['$labels.job', '$labels.provider', '$labels.job', '$labels.provider'],
                'operation',
                '{{ $s.Labels.operation }} {{ $s.Value | humanizeDuration }} (threshold %s)'
                % alert.queryValue('max(provider_latency_threshold_seconds{%s, operation=%%q})' % jobProvider,
                                   ['$labels.job', '$labels.provider', '$s.Labels.operation'], 'humanizeDuration'),
                'none above its threshold in that time (probes rarer than that, or the slowness has just ended)'
              ),
            },
          ),

          new(
            'ProviderModelUnavailable',
            c.warningSeverity,
            // max over instances: the model answers on no instance. Not while the provider itself is down
            // (ProviderDown pages for that).
            |||
              max by (job, provider, model) (
                model_availability{%(s)s}
              ) == 0
              unless on (job, provider)
              (
                min by (job, provider) (provider_status{%(s)s, status="down"}) == 1
              )
            ||| % { s: s },
            'A model of an LLM provider does not answer.',
            ('Model {{ $labels.model }} of provider {{ $labels.provider }} has had no successful answer in the '
             + 'window of any instance of {{ $labels.job }} for at least %s, while the provider itself is not down.')
            % forOf('ProviderModelUnavailable'),
          ),

          new(
            'ProviderCircuitBreakerOpen',
            c.warningSeverity,
            // "Not closed" covers a breaker going open -> half-open -> open again.
            |||
              max by (job, provider) (
                provider_circuit_breaker_state{%(s)s, state="closed"}
              ) == 0
            ||| % { s: s },
            'Circuit breaker of an LLM provider stays open.',
            ('The circuit breaker of provider {{ $labels.provider }} has not been closed for at least %s on any '
             + 'instance of {{ $labels.job }}: probing is suspended apart from half-open trials.')
            % forOf('ProviderCircuitBreakerOpen'),
          ),

          new(
            'ProviderNoneAvailable',
            c.criticalSeverity,
            // max over every instance: fires only when no shard and no replica has an available provider.
            |||
              max by (job) (provider_availability{%(s)s}) == 0
            ||| % { s: s },
            'No LLM provider is available.',
            ('No provider watched by {{ $labels.job }} has had a model answer on any instance for at least %s: '
             + 'there is no provider to send traffic to.')
            % forOf('ProviderNoneAvailable'),
          ),

          new(
            'ProviderNoneHealthy',
            c.warningSeverity,
            // provider_best is 1 for the best healthy provider; all 0 everywhere means none is healthy.
            |||
              max by (job) (provider_best{%(s)s}) == 0
            ||| % { s: s },
            'No LLM provider is healthy.',
            ('None of the providers watched by {{ $labels.job }} has been healthy on any instance for at least %s '
             + '(degraded, rate limited, unauthorized or down): GET /api/providers/best finds no provider.')
            % forOf('ProviderNoneHealthy'),
          ),

          new(
            'ProviderProbesStale',
            c.warningSeverity,
            // Per instance: a stuck prober is a fault of that instance. The due time already moves later
            // while a retry-after wait, the probe budget or an open breaker holds the probe back.
            |||
              (
                time() - (provider_next_probe_timestamp_seconds{%(s)s} > 0)
              )
              > 2 * provider_probe_interval_seconds{%(s)s} + %(slack)d
            ||| % { s: s, slack: c.probesStaleSlackSeconds },
            'An LLM provider has not been probed when it was due.',
            ('{{ $labels.instance }} should have probed provider {{ $labels.provider }} {{ $value | humanizeDuration }} '
             + 'ago; its probe interval is %s.')
            % alert.queryValue('max(provider_probe_interval_seconds{%s, instance=%%q})' % jobProvider,
                               ['$labels.job', '$labels.provider', '$labels.instance'], 'humanizeDuration'),
          ),
        ],
      },
    ],
  },
}
