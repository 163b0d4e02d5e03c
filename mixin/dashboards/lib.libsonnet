// Small helpers that build the Grafana JSON of the dashboards (no external library). Call with the mixin's
// _config: `local lib = (import 'lib.libsonnet')($._config);`.
function(config) {
  local d = config.dashboards,
  local lib = self,

  datasource:: { type: 'prometheus', uid: '${' + d.datasourceVariable + '}' },

  // The label matchers every panel query starts with: the job and instance variables.
  // (Concatenation rather than %: std.format is slow in jsonnet, and this runs for every query.)
  matchers(extra=''):: 'job=~"$' + d.jobVariable + '", instance=~"$' + d.instanceVariable + '"'
                       + (if extra == '' then '' else ', ' + extra),
  selector(extra=''):: '{' + lib.matchers(extra) + '}',

  // ---------------------------------------------------------------- variables

  datasourceVariable:: {
    name: d.datasourceVariable,
    label: 'Data source',
    type: 'datasource',
    query: 'prometheus',
    current: {},
    options: [],
    refresh: 1,
    regex: '',
    hide: 0,
  },

  queryVariable(name, query):: {
    name: name,
    label: std.asciiUpper(name[0]) + name[1:],
    type: 'query',
    datasource: lib.datasource,
    query: query,
    definition: query,
    refresh: 2,
    multi: true,
    includeAll: true,
    allValue: '.+',
    current: { selected: true, text: ['All'], value: ['$__all'] },
    options: [],
    regex: '',
    sort: 1,
    hide: 0,
  },

  jobVariable:: lib.queryVariable(d.jobVariable, 'label_values(%s, job)' % d.instancesMetric),
  instanceVariable:: lib.queryVariable(
    d.instanceVariable, 'label_values(%s{job=~"$%s"}, instance)' % [d.instancesMetric, d.jobVariable]
  ),

  // ---------------------------------------------------------------- targets

  // A query; the panel gives it its refId (A, B, ... in order).
  target(expr, legend='__auto'):: {
    datasource: lib.datasource,
    editorMode: 'code',
    expr: expr,
    legendFormat: legend,
    range: true,
    instant: false,
  },
  instant(expr, legend='__auto'):: lib.target(expr, legend) + { range: false, instant: true },
  table(expr):: lib.instant(expr) + { format: 'table' },

  local withRefIds(targets) = [
    targets[i] + { refId: std.char(std.codepoint('A') + i) }
    for i in std.range(0, std.length(targets) - 1)
  ],

  // ---------------------------------------------------------------- panels

  // w and h size a panel; the dashboard lays panels out left to right and gives them their ids.
  panel(type, title, description, targets, w, h):: {
    type: type,
    title: title,
    description: description,
    datasource: lib.datasource,
    gridPos: { w: w, h: h },
    targets: withRefIds(targets),
  },

  row(title, description):: {
    type: 'row',
    title: title,
    description: description,
    collapsed: false,
    datasource: lib.datasource,
    gridPos: { w: 24, h: 1 },
    panels: [],
  },

  // A dashed line for the series of one query (a threshold next to the values it bounds).
  dashed(refId):: {
    matcher: { id: 'byFrameRefID', options: refId },
    properties: [{ id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } }],
  },

  timeseries(title, description, unit, targets, w=12, h=8, min=0, max=null, decimals=null, overrides=[], noValue=null)::
    lib.panel('timeseries', title, description, targets, w, h) + {
      fieldConfig: {
        defaults: {
          unit: unit,
          custom: { drawStyle: 'line', lineWidth: 1, fillOpacity: 10, showPoints: 'never', spanNulls: false },
          color: { mode: 'palette-classic' },
          [if min != null then 'min']: min,
          [if max != null then 'max']: max,
          [if decimals != null then 'decimals']: decimals,
          [if noValue != null then 'noValue']: noValue,
        },
        overrides: overrides,
      },
      options: {
        legend: { displayMode: 'table', placement: 'right', showLegend: true, calcs: ['lastNotNull'] },
        tooltip: { mode: 'multi', sort: 'desc' },
      },
    },

  // Value mappings: {value: [text, color]}, in order.
  mappings(pairs):: [{
    type: 'value',
    options: {
      [pairs[i][0]]: { text: pairs[i][1], color: pairs[i][2], index: i }
      for i in std.range(0, std.length(pairs) - 1)
    },
  }],

  stateTimeline(title, description, targets, mappings, baseColor, w=12, h=8, noValue=null)::
    lib.panel('state-timeline', title, description, targets, w, h) + {
      fieldConfig: {
        defaults: {
          unit: 'none',
          mappings: mappings,
          color: { mode: 'thresholds' },
          thresholds: { mode: 'absolute', steps: [{ color: baseColor, value: null }] },
          [if noValue != null then 'noValue']: noValue,
        },
        overrides: [],
      },
      options: {
        showValue: 'never',
        mergeValues: true,
        rowHeight: 0.8,
        alignValue: 'left',
        legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
        tooltip: { mode: 'single', sort: 'none' },
      },
    },

  stat(title, description, unit, targets, w, h, defaults={}, options={})::
    lib.panel('stat', title, description, targets, w, h) + {
      fieldConfig: { defaults: { unit: unit } + defaults, overrides: [] },
      options: {
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
        graphMode: 'none',
      } + options,
    },

  // A table of instant queries merged into one row per label set. `columns` renames fields (labels, and
  // 'Value #<refId>' for the value of a query) in the order they are shown; `hidden` fields are left out.
  tablePanel(title, description, targets, columns, hidden=['Time'], w=24, h=8, overrides=[], noValue=null, sortBy=null)::
    lib.panel('table', title, description, targets, w, h) + {
      fieldConfig: {
        defaults: {
          unit: 'short',
          custom: { align: 'auto', cellOptions: { type: 'auto' } },
          [if noValue != null then 'noValue']: noValue,
        },
        overrides: overrides,
      },
      options: {
        showHeader: true,
        cellHeight: 'sm',
        [if sortBy != null then 'sortBy']: [{ displayName: sortBy, desc: false }],
      },
      transformations: (if std.length(targets) > 1 then [{ id: 'merge', options: {} }] else []) + [{
        id: 'organize',
        options: {
          excludeByName: { [f]: true for f in hidden },
          indexByName: { [columns[i][0]]: i for i in std.range(0, std.length(columns) - 1) },
          renameByName: { [c[0]]: c[1] for c in columns },
        },
      }],
    },

  // Field overrides of a table column: a unit, decimals, value mappings with coloured cells.
  column(name, unit=null, decimals=null, mappings=null):: {
    matcher: { id: 'byName', options: name },
    properties:
      (if unit != null then [{ id: 'unit', value: unit }] else [])
      + (if decimals != null then [{ id: 'decimals', value: decimals }] else [])
      + (if mappings != null then [
           { id: 'mappings', value: mappings },
           { id: 'custom.cellOptions', value: { type: 'color-background' } },
         ] else []),
  },

  // ---------------------------------------------------------------- layout

  // Places panels in order: each at the highest free spot (leftmost on a tie) that fits its width, a row
  // below everything above it. Gives every panel its id (1, 2, ...). The fold's state is an array
  // [column heights, panels placed] (array elements are evaluated once; object fields would be again and again).
  layout(panels)::
    local place(state, p) =
      local heights = state[0];
      local placed = state[1];
      local w = p.gridPos.w;
      local h = p.gridPos.h;
      local top(x) = std.foldl(std.max, heights[x:x + w], 0);
      // The best spot starts where the column heights step (or at 0): one column to the left of any other
      // x has the same height, so starting there is never higher.
      local starts = [x for x in std.range(1, 24 - w) if heights[x] != heights[x - 1]];
      local best =
        if p.type == 'row' then [0, std.foldl(std.max, heights, 0)]
        else std.foldl(function(a, b) if b[1] < a[1] then b else a, [[x, top(x)] for x in starts], [0, top(0)]);
      local x = best[0];
      local y = best[1];
      local newHeights =
        if p.type == 'row' then [y + 1 for _ in std.range(0, 23)]
        else [if i >= x && i < x + w then y + h else heights[i] for i in std.range(0, 23)];
      [newHeights, placed + [p { id: std.length(placed) + 1, gridPos+: { x: x, y: y } }]];
    std.foldl(place, panels, [[0 for _ in std.range(0, 23)], []])[1],

  dashboard(uid, title, description, tags, links, variables, panels):: {
    uid: uid,
    title: title,
    description: description,
    tags: d.tags + tags,
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    timezone: d.timezone,
    time: { from: d.timeFrom, to: 'now' },
    refresh: d.refresh,
    timepicker: {},
    fiscalYearStartMonth: 0,
    liveNow: false,
    weekStart: '',
    annotations: {
      list: [{
        builtIn: 1,
        datasource: { type: 'grafana', uid: '-- Grafana --' },
        enable: true,
        hide: true,
        iconColor: 'rgba(0, 211, 255, 1)',
        name: 'Annotations & Alerts',
        type: 'dashboard',
      }],
    },
    links: [{
      title: l.title,
      type: 'link',
      url: l.url,
      icon: 'dashboard',
      includeVars: false,
      keepTime: true,
      targetBlank: false,
      tooltip: '',
      asDropdown: false,
      tags: [],
    } for l in links],
    templating: { list: variables },
    panels: lib.layout(panels),
  },
}
