// Alerts about provider-health-exporter itself.
local alert = import 'alert.libsonnet';

{
  prometheusAlerts+:: {
    local c = $._config,
    local s = c.selector,
    local new(name, severity, expr, summary, description) = alert.new(c, name, severity, expr, summary, description),
    local forOf(name) = c.alertFor[name],

    groups+: [
      {
        name: 'provider-health-exporter.exporter',
        rules: [
          new(
            'ProviderHealthExporterDown',
            c.warningSeverity,
            // One instance: the other instances of the job (an HA twin) still watch the providers.
            |||
              up{%(s)s} == 0
            ||| % { s: s },
            'Prometheus cannot scrape an instance of provider-health-exporter.',
            ('{{ $labels.instance }} of job {{ $labels.job }} has been unreachable for at least %s. The other '
             + 'instances of the job keep watching their providers; a shard (--shard) that is down leaves its '
             + 'providers unwatched.')
            % forOf('ProviderHealthExporterDown'),
          ),

          new(
            'ProviderHealthExporterJobDown',
            c.criticalSeverity,
            // Every instance of the job, whatever their number, has failed its scrapes.
            |||
              sum by (job) (up{%(s)s}) == 0
            ||| % { s: s },
            'No instance of provider-health-exporter can be scraped.',
            ('No instance of job {{ $labels.job }} has been scraped successfully for at least %s: no provider is '
             + 'watched, and the provider alerts of the job are inhibited.')
            % forOf('ProviderHealthExporterJobDown'),
          ),

          new(
            'ProviderHealthExporterAbsent',
            c.criticalSeverity,
            |||
              absent(up{%(s)s})
            ||| % { s: s },
            'provider-health-exporter has disappeared from Prometheus.',
            ('Prometheus has had no target of job {{ $labels.job }} for at least %s; no provider is watched.')
            % forOf('ProviderHealthExporterAbsent'),
          ),

          new(
            'ProviderHealthExporterConfigReloadFailed',
            c.warningSeverity,
            |||
              max_over_time(provider_health_exporter_config_last_reload_successful{%(s)s}[%(w)s]) == 0
            ||| % { s: s, w: c.configReloadWindow },
            'provider-health-exporter failed to reload its configuration.',
            'The last configuration reload of {{ $labels.instance }} failed; it keeps running with the previous '
            + 'configuration.',
          ),

          new(
            'ProviderHealthExporterAggregationStalled',
            c.warningSeverity,
            |||
              time() - provider_health_exporter_last_aggregation_timestamp_seconds{%(s)s} > %(t)d
            ||| % { s: s, t: c.aggregationStalledSeconds },
            'provider-health-exporter stopped aggregating.',
            '{{ $labels.instance }} last finished an aggregation cycle {{ $value | humanizeDuration }} ago: its '
            + 'metrics are frozen.',
          ),

          new(
            'ProviderHealthExporterProbesBlockedByProxy',
            c.warningSeverity,
            // The instance's own egress proxy stops its probes (reason "proxy"): no evidence about the providers,
            // whose statuses are left alone, so this is the one alert that says the watching itself is broken.
            |||
              sum by (job, instance) (rate(provider_result_failures_total{%(s)s, source="probe", reason="proxy"}[10m])) > 0
            ||| % { s: s },
            "provider-health-exporter's probes are stopped by its HTTP proxy.",
            ('Probes of {{ $labels.instance }} fail at its egress proxy ({{ $value | humanize }} per second): refused, '
             + 'unreachable, wrong credentials or no answer. The providers it watches are not judged meanwhile.'),
          ),
        ],
      },
    ],
  },
}
