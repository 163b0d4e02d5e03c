"""Dashboard lint: the shipped dashboards follow the dashboard-linter conventions.

Run: python3 -m pytest integration/pack/test_dashboards.py
"""

from __future__ import annotations

import copy
import json

import pytest
import yaml

from dashboard_lint import lint, lint_expr, scan
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


def test_latency_quantiles_come_from_the_histogram():
    d = load_dashboard("provider-health.json")
    panel = next(p for p in d["panels"] if p["title"] == "Response time p50 / p95 / p99")
    exprs = [t["expr"] for t in panel["targets"]]
    assert [e.split(",")[0] for e in exprs] == ["histogram_quantile(0.5", "histogram_quantile(0.95",
                                                 "histogram_quantile(0.99"]
    for e in exprs:
        assert "provider_response_time_seconds_bucket" in e


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
