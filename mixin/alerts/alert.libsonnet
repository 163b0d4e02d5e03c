// Builds one alerting rule in the mixin's style: `for` from _config.alertFor, a severity label, and an absolute
// runbook_url pointing at the alert's section of the runbook.
{
  new(config, name, severity, expr, summary, description):: {
    alert: name,
    expr: expr,
    'for': config.alertFor[name],
    labels: { severity: severity },
    annotations: {
      summary: summary,
      description: description,
      runbook_url: config.runbookURLBase + '#' + std.asciiLower(name),
    },
  },

  // A Go template that prints the first value of a PromQL query, e.g. a threshold the exporter exports.
  // `format` is a printf format whose %q verbs take `args` (template expressions such as $labels.provider).
  queryValue(format, args, filter):: '{{ with query (printf `%s` %s) }}{{ . | first | value | %s }}{{ end }}' % [
    format,
    std.join(' ', args),
    filter,
  ],

  // A Go template that prints `item` (a template using $s, one sample) for every sample of a query, sorted by
  // the label `sortLabel` and separated by ", ", or `empty` when the query returns nothing.
  queryList(format, args, sortLabel, item, empty)::
    '{{ range $i, $s := query (printf `%s` %s) | sortByLabel "%s" }}{{ if $i }}, {{ end }}%s{{ else }}%s{{ end }}' % [
      format,
      std.join(' ', args),
      sortLabel,
      item,
      empty,
    ],
}
