// Settings of the provider-health-exporter mixin. Override any of them when vendoring:
//
//   (import 'provider-health-exporter-mixin/mixin.libsonnet') + {
//     _config+:: { selector: 'job="llm-health"', runbookURLBase: 'https://wiki.example.com/llm-runbook' },
//   }
{
  _config+:: {
    // Selects the exporter's series in every alert and recording rule. Keep an equality matcher on `job`:
    // the alerts aggregate by `job`, and ProviderHealthExporterAbsent takes its `job` label from it.
    selector: 'job="provider-health-exporter"',

    // Every alert's runbook_url is this base + '#' + the alert name in lower case (the anchor of its section in
    // docs/runbook.md). Point it at your own copy of the runbook.
    runbookURLBase: 'https://github.com/provider-health-exporter/provider-health-exporter/blob/main/docs/runbook.md',

    // Severity label values: `critical` pages, `warning` opens a ticket (see alertmanager.yml).
    criticalSeverity: 'critical',
    warningSeverity: 'warning',

    // How long each alert's condition must hold before it fires.
    alertFor: {
      ProviderDown: '5m',
      ProviderUnauthorized: '5m',
      ProviderRateLimited: '15m',
      ProviderHighErrorRate: '10m',
      ProviderHighLatency: '10m',
      ProviderModelUnavailable: '10m',
      ProviderCircuitBreakerOpen: '10m',
      ProviderNoneAvailable: '5m',
      ProviderNoneHealthy: '10m',
      ProviderProbesStale: '5m',
      ProviderHealthExporterDown: '5m',
      ProviderHealthExporterJobDown: '5m',
      ProviderHealthExporterAbsent: '10m',
      ProviderHealthExporterConfigReloadFailed: '10m',
      ProviderHealthExporterAggregationStalled: '5m',
      ProviderHealthExporterProbesBlockedByProxy: '10m',
    },

    // ProviderProbesStale: a probe is stale once it is overdue by more than 2 x the provider's own probe interval
    // plus this many seconds.
    probesStaleSlackSeconds: 120,
    // ProviderHealthExporterAggregationStalled: seconds without a finished aggregation cycle.
    aggregationStalledSeconds: 300,
    // ProviderHealthExporterConfigReloadFailed: a successful reload within this window clears it.
    configReloadWindow: '5m',

    // Rate window of the recording rules (their names end in :rate<window>) and of the latency figures in the
    // ProviderHighLatency description.
    rateWindow: '5m',
    // Quantiles recorded for the latency histogram.
    recordedQuantiles: ['0.5', '0.95', '0.99'],

    // Grafana dashboards.
    dashboards: {
      // Names of the template variables every panel uses.
      datasourceVariable: 'datasource',
      jobVariable: 'job',
      instanceVariable: 'instance',
      // Metric whose `job` and `instance` labels fill the job and instance variables.
      instancesMetric: 'provider_health_exporter_build_info',
      // Fixed uids: links and bookmarks rely on them.
      providerHealthUID: 'provider-health',
      exporterHealthUID: 'provider-health-exporter',
      tags: ['provider-health-exporter'],
      refresh: '30s',
      timeFrom: 'now-1h',
      timezone: 'browser',
    },
  },
}
