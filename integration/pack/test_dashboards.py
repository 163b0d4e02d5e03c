"""Dashboard lint: the shipped dashboards follow the dashboard-linter conventions.

Run: python3 -m pytest integration/pack/test_dashboards.py
"""

from __future__ import annotations

import copy
import json

import pytest
import yaml

from dashboard_lint import iter_panels, iter_targets, lint, lint_expr, scan
from packpaths import DASHBOARDS, DASHBOARD_DIR, REPO_ROOT, load_dashboard


@pytest.mark.parametrize("filename,uid", sorted(DASHBOARDS.items()))
def test_shipped_dashboard_is_clean(filename, uid):
    problems = lint(load_dashboard(filename), expected_uid=uid)
    assert problems == [], "\n".join(problems)


def test_exactly_the_two_dashboards_are_shipped():
    assert sorted(p.name for p in DASHBOARD_DIR.glob("*.json")) == sorted(DASHBOARDS)


@pytest.mark.parametrize("filename,title", [("provider-health.json", "Provider health"),
                                            ("exporter-health.json", "Exporter health")])
def test_dashboard_titles(filename, title):
    assert load_dashboard(filename)["title"] == title


def test_dashboard_uids_are_distinct():
    uids = [load_dashboard(f)["uid"] for f in DASHBOARDS]
    assert len(set(uids)) == len(uids)


def test_provider_dashboard_has_provider_and_model_drilldown():
    d = load_dashboard("provider-health.json")
    names = [v["name"] for v in d["templating"]["list"]]
    assert names == ["datasource", "job", "instance", "provider", "model"]
    model_panels = [p for p in d["panels"] if any("model_" in t.get("expr", "") for t in p.get("targets", []))]
    assert model_panels, "no per-model panel"
    for p in model_panels:
        for t in p["targets"]:
            assert 'provider=~"$provider"' in t["expr"], (p["title"], t["expr"])


def _panel(d: dict, title: str) -> dict:
    return next(p for p in iter_panels(d) if p["title"] == title)


@pytest.mark.parametrize("title,source", [("Probe response time p50 / p95 / p99", "probe"),
                                          ("Traffic response time p50 / p95 / p99", "traffic")])
def test_latency_quantiles_come_from_the_histogram_per_source_and_operation(title, source):
    panel = _panel(load_dashboard("provider-health.json"), title)
    exprs = [t["expr"] for t in panel["targets"]]
    assert [e.split(",")[0] for e in exprs] == ["histogram_quantile(0.5", "histogram_quantile(0.95",
                                                 "histogram_quantile(0.99"]
    for e in exprs:
        assert "provider_response_time_seconds_bucket{" in e
        assert f'source="{source}"' in e
        assert "sum by (provider, operation, le)" in e


@pytest.mark.parametrize("title,threshold", [
    ("Probe p95 against threshold", "provider_latency_threshold_seconds"),
    ("Error rate", "provider_error_rate_threshold"),
    ("Rate-limit remaining", "provider_rate_limit_remaining_threshold"),
])
def test_panels_draw_the_thresholds_the_exporter_applies(title, threshold):
    panel = _panel(load_dashboard("provider-health.json"), title)
    targets = {t["refId"]: t["expr"] for t in panel["targets"]}
    dashed = [o["matcher"]["options"] for o in panel["fieldConfig"]["overrides"]
              if o["matcher"]["id"] == "byFrameRefID"
              and any(p["id"] == "custom.lineStyle" for p in o["properties"])]
    assert [ref for ref, e in targets.items() if threshold in e] == dashed


@pytest.mark.parametrize("title,needle", [
    ("Active conditions", "provider_condition{"),
    ("Conditions over time", "provider_condition{"),
    ("Retry-after pause", "provider_retry_after_until_timestamp_seconds{"),
    ("Evidence age", "provider_last_result_timestamp_seconds{"),
    ("Window results", "provider_window_results{"),
    ("Next probe due in", "provider_next_probe_timestamp_seconds{"),
    ("Time since last probe", "provider_last_probe_timestamp_seconds{"),
])
def test_provider_dashboard_shows_the_evidence_behind_the_status(title, needle):
    panel = _panel(load_dashboard("provider-health.json"), title)
    assert any(needle in t["expr"] for t in panel["targets"])


@pytest.mark.parametrize("filename", sorted(DASHBOARDS))
def test_dashboards_need_no_recording_rule(filename):
    # Every panel works with only the exporter's own series in Prometheus.
    for panel, target in iter_targets(load_dashboard(filename)):
        selectors, _ = scan(target["expr"])
        assert not [s.metric for s in selectors if ":" in s.metric], (panel["title"], target["expr"])


def test_exporter_dashboard_uses_scrape_duration():
    d = load_dashboard("exporter-health.json")
    exprs = [t["expr"] for p in d["panels"] for t in p.get("targets", [])]
    assert any(e.startswith("scrape_duration_seconds{") for e in exprs)


# ------------------------------------------------------------------ provisioning

def test_datasource_provisioning_matches_compose():
    doc = yaml.safe_load((REPO_ROOT / "grafana/provisioning/datasources/prometheus.yml").read_text())
    (ds,) = doc["datasources"]
    assert ds["type"] == "prometheus"
    assert ds["url"] == "http://prometheus:9090"
    assert ds["uid"]


def test_dashboard_provisioning_points_at_the_mounted_folder():
    files = list((REPO_ROOT / "grafana/provisioning/dashboards").glob("*.yml"))
    assert files
    compose = yaml.safe_load((REPO_ROOT / "compose.yaml").read_text())
    mounts = compose["services"]["grafana"]["volumes"]
    for f in files:
        for provider in yaml.safe_load(f.read_text())["providers"]:
            path = provider["options"]["path"]
            assert any(m.startswith("./grafana/dashboards:" + path) for m in mounts), (path, mounts)


# ------------------------------------------------------------------ the linter itself

def _clean() -> dict:
    return copy.deepcopy(load_dashboard("exporter-health.json"))


def _first_graph(d: dict) -> dict:
    return next(p for p in d["panels"] if p["type"] == "timeseries")


def test_lint_reports_missing_instance_matcher():
    d = _clean()
    t = _first_graph(d)["targets"][0]
    t["expr"] = t["expr"].replace(', instance=~"$instance"', "")
    assert any("no instance matcher" in p for p in lint(d))


def test_lint_reports_fixed_rate_window():
    assert lint_expr('rate(x_total{job=~"$job", instance=~"$instance"}[5m])') == [
        "rate() uses [5m] instead of [$__rate_interval]"]


def test_lint_reports_raw_counter():
    assert any("not read through rate" in m for m in lint_expr('x_total{job=~"$job", instance=~"$instance"}'))


def test_lint_accepts_aggregation_with_by_before_the_parenthesis():
    assert lint_expr('sum by (a) (irate(x_total{job=~"$job", instance=~"$instance"}[$__rate_interval]))') == []


def test_lint_reports_missing_unit_description_and_datasource():
    d = _clean()
    p = _first_graph(d)
    del p["fieldConfig"]["defaults"]["unit"]
    p["description"] = ""
    p["targets"][0]["datasource"] = {"type": "prometheus", "uid": "prometheus"}
    problems = lint(d)
    assert any("no valid unit" in x for x in problems)
    assert any("no description" in x for x in problems)
    assert any("target A does not use the datasource variable" in x for x in problems)


def test_lint_reports_duplicate_ids_and_wrong_uid():
    d = _clean()
    d["panels"][2]["id"] = d["panels"][1]["id"]
    problems = lint(d, expected_uid="something-else")
    assert any("panel id" in x for x in problems)
    assert any("fixed uid" in x for x in problems)


def test_lint_reports_single_select_job_variable():
    d = _clean()
    job = next(v for v in d["templating"]["list"] if v["name"] == "job")
    job["multi"] = False
    assert any("job variable should be multi-select" in x for x in lint(d))


def test_scan_finds_selectors_inside_vector_matching():
    selectors, _ = scan('a{job="x"} + ignoring(status) 2 * b{job="y"} or on() vector(0)')
    assert [s.metric for s in selectors] == ["a", "b"]


def test_dashboards_are_valid_json_with_stable_formatting():
    for f in DASHBOARDS:
        text = (DASHBOARD_DIR / f).read_text()
        assert json.loads(text)["uid"]
        assert text.endswith("\n")


def test_lint_reports_a_recording_rule_the_description_does_not_name():
    expr = 'sum(job_provider:x:rate5m{job=~"$job", instance=~"$instance"})'
    assert lint_expr(expr, "Failure ratio.") == [
        "uses the recording rule job_provider:x:rate5m but the panel description does not name it"]
    assert lint_expr(expr, "Needs the recording rule job_provider:x:rate5m (prometheus/rules.yml).") == []


@pytest.mark.parametrize("expr", [
    'time() - max by (provider) (ts{job=~"$job", instance=~"$instance"})',
    'time() - ts{job=~"$job", instance=~"$instance"} > 0',
    'time() - (ts{job=~"$job", instance=~"$instance"})',
])
def test_lint_reports_time_minus_an_unguarded_timestamp(expr):
    assert any("no > 0 guard" in m for m in lint_expr(expr))


@pytest.mark.parametrize("expr", [
    'time() - max by (provider) (ts{job=~"$job", instance=~"$instance"} > 0)',
    'time() - (ts{job=~"$job", instance=~"$instance"} > 0)',
    'max(ts{job=~"$job", instance=~"$instance"}) - time() > 0',
])
def test_lint_accepts_guarded_timestamps(expr):
    assert lint_expr(expr) == []


def test_lint_reports_a_quantile_over_mixed_sources_and_operations():
    sel = '{job=~"$job", instance=~"$instance"}'
    mixed = f"histogram_quantile(0.95, sum by (provider, le) (rate(provider_response_time_seconds_bucket{sel}[$__rate_interval])))"
    msgs = lint_expr(mixed)
    assert any("mix of source" in m for m in msgs) and any("mix of operation" in m for m in msgs)
    pinned = ('histogram_quantile(0.95, sum by (provider, operation, le) (rate(provider_response_time_seconds_bucket'
              '{job=~"$job", instance=~"$instance", source="probe"}[$__rate_interval])))')
    assert lint_expr(pinned) == []
    regex = pinned.replace('source="probe"', 'source=~"probe|traffic"')
    assert any("mix of source" in m for m in lint_expr(regex))
    unaggregated = f"histogram_quantile(0.95, rate(model_response_time_seconds_bucket{sel}[$__rate_interval]))"
    assert lint_expr(unaggregated) == []
