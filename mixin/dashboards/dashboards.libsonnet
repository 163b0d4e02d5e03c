// grafanaDashboards: {'<file>.json': dashboard}.
(import 'provider-health.libsonnet') +
(import 'exporter-health.libsonnet')
