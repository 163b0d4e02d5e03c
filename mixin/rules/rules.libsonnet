// Recording rules, named level:metric:operations. Nothing in the pack depends on them (the alerts read the
// exporter's verdicts, the dashboards query raw series); they are for your own queries and SLOs.
// Per-instance series keep `instance`; the per-provider ones aggregate every instance of the job.
{
  prometheusRules+:: {
    local c = $._config,
    local s = c.selector,
    local w = c.rateWindow,
    local bucketRate = 'job_instance_provider_source_operation_le:provider_response_time_seconds_bucket:rate' + w,

    groups+: [
      {
        name: 'provider-health-exporter.rules',
        rules: [
          // Latency histogram: bucket rates per instance, then quantiles per provider, source (probe or
          // traffic) and operation (list_models, chat, ...): never one quantile over a mix of them.
          {
            record: bucketRate,
            expr: |||
              sum by (job, instance, provider, source, operation, le) (
                rate(provider_response_time_seconds_bucket{%(s)s}[%(w)s])
              )
            ||| % { s: s, w: w },
          },
        ] + [
          {
            record: 'job_provider_source_operation:provider_response_time_seconds:histogram_quantile_rate' + w,
            expr: |||
              histogram_quantile(%(q)s,
                sum by (job, provider, source, operation, le) (%(b)s)
              )
            ||| % { q: q, b: bucketRate },
            labels: { quantile: q },
          }
          for q in c.recordedQuantiles
        ] + [
          // Results and failures (probes and passive traffic together).
          {
            record: 'job_instance_provider:provider_results:rate' + w,
            expr: |||
              sum by (job, instance, provider) (
                rate(provider_results_total{%(s)s}[%(w)s])
              )
            ||| % { s: s, w: w },
          },
          // Failure series appear per reason only once such a failure happened; a provider without any is
          // recorded as 0, not left out.
          {
            record: 'job_instance_provider:provider_result_failures:rate' + w,
            expr: |||
              sum by (job, instance, provider) (
                rate(provider_result_failures_total{%(s)s}[%(w)s])
              )
              or
              0 * job_instance_provider:provider_results:rate%(w)s
            ||| % { s: s, w: w },
          },
          {
            record: 'job_provider:provider_result_failures:ratio_rate' + w,
            expr: |||
              sum by (job, provider) (job_instance_provider:provider_result_failures:rate%(w)s)
              /
              sum by (job, provider) (job_instance_provider:provider_results:rate%(w)s)
            ||| % { w: w },
          },
        ],
      },
    ],
  },
}
