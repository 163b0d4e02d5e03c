// The provider-health-exporter monitoring mixin: Prometheus alerts and recording rules, Grafana dashboards.
//
//   prometheusAlerts   alerting rule groups (alerts/)
//   prometheusRules    recording rule groups (rules/)
//   grafanaDashboards  {'<file>.json': dashboard} (dashboards/)
//
// Settings are in config.libsonnet (_config); see README.md.
(import 'config.libsonnet') +
(import 'alerts/providers.libsonnet') +
(import 'alerts/exporter.libsonnet') +
(import 'rules/rules.libsonnet') +
(import 'dashboards/dashboards.libsonnet')
