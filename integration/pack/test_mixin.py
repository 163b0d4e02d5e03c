"""The monitoring mixin (mixin/): it renders with jsonnet, its _config reaches every rule and panel, and its
README documents every setting. That the shipped files equal its default rendering is checked by
scripts/generate-pack.sh --check.

Needs jsonnet (apt-get install -y jsonnet; scripts/check-pack.sh installs it).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
import yaml

from dashboard_lint import iter_panels, iter_targets, lint
from packpaths import DASHBOARDS, REPO_ROOT

MIXIN = REPO_ROOT / "mixin"

OVERRIDES = """{
  _config+:: {
    selector: 'job="llm-health", env="prod"',
    runbookURLBase: 'https://wiki.example.com/llm-runbook',
    alertFor+: { ProviderDown: '1m', ProviderNoneHealthy: '30m' },
    probesStaleSlackSeconds: 300,
    rateWindow: '10m',
    criticalSeverity: 'page',
    dashboards+: { datasourceVariable: 'ds', providerHealthUID: 'llm-providers' },
  },
}"""


def render(expr: str, overrides: str | None = None):
    if shutil.which("jsonnet") is None:
        pytest.fail("jsonnet is not installed: apt-get install -y jsonnet (or scripts/check-pack.sh)", pytrace=False)
    mixin = "(import 'mixin.libsonnet')" + (f" + {overrides}" if overrides else "")
    out = subprocess.run(["jsonnet", "-J", str(MIXIN), "-e", f"local mixin = {mixin}; {expr}"],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def _rules(doc) -> list[dict]:
    return [r for g in doc["groups"] for r in g["rules"]]


def test_mixin_exposes_the_three_standard_fields():
    fields = render("std.objectFieldsAll(mixin)")
    assert {"prometheusAlerts", "prometheusRules", "grafanaDashboards", "_config"} <= set(fields)
    assert sorted(render("std.objectFields(mixin.grafanaDashboards)")) == sorted(DASHBOARDS)


def test_selector_reaches_every_alert_and_recording_rule():
    alerts = _rules(render("mixin.prometheusAlerts", OVERRIDES))
    records = _rules(render("mixin.prometheusRules", OVERRIDES))
    for rule in alerts + records:
        assert "provider-health-exporter" not in rule["expr"], rule
    # Every alert reads raw series; the recording rules that do (rates) select them too.
    for rule in alerts + [r for r in records if "rate(" in r["expr"]]:
        assert 'job="llm-health", env="prod"' in rule["expr"], rule["expr"]


def test_config_sets_runbook_urls_durations_severities_and_slack():
    alerts = {r["alert"]: r for r in _rules(render("mixin.prometheusAlerts", OVERRIDES))}
    for name, rule in alerts.items():
        assert rule["annotations"]["runbook_url"] == f"https://wiki.example.com/llm-runbook#{name.lower()}"
        assert "provider-health-exporter\"" not in rule["annotations"]["description"]
        assert rule["labels"]["severity"] in ("page", "warning")
    assert alerts["ProviderDown"]["for"] == "1m"
    assert alerts["ProviderDown"]["labels"]["severity"] == "page"
    assert alerts["ProviderNoneHealthy"]["for"] == "30m"
    assert "for at least 30m" in alerts["ProviderNoneHealthy"]["annotations"]["description"]
    assert "+ 300" in alerts["ProviderProbesStale"]["expr"]
    assert "[10m]" in alerts["ProviderHighLatency"]["annotations"]["description"]


def test_rate_window_names_the_recording_rules():
    records = {r["record"] for r in _rules(render("mixin.prometheusRules", OVERRIDES))}
    assert records and all(r.endswith(":rate10m") or r.endswith("_rate10m") for r in records), records


def test_overridden_rules_are_valid_prometheus_rules(tmp_path):
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is not installed (apt-get install -y prometheus)", pytrace=False)
    for field in ("prometheusAlerts", "prometheusRules"):
        path = tmp_path / f"{field}.yml"
        path.write_text(yaml.safe_dump(render(f"mixin.{field}", OVERRIDES)))
        out = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True)
        assert out.returncode == 0, out.stdout + out.stderr


def test_dashboard_settings_reach_every_panel():
    dashboards = render("mixin.grafanaDashboards", OVERRIDES)
    provider = dashboards["provider-health.json"]
    assert provider["uid"] == "llm-providers"
    assert any(link["url"] == "/d/llm-providers/provider-health"
               for link in dashboards["exporter-health.json"]["links"])
    for d in dashboards.values():
        variables = {v["name"]: v for v in d["templating"]["list"]}
        assert variables["ds"]["type"] == "datasource"
        for panel in iter_panels(d):
            assert panel["datasource"]["uid"] == "${ds}", panel["title"]
        for _, target in iter_targets(d):
            assert target["datasource"]["uid"] == "${ds}"


@pytest.mark.parametrize("filename", sorted(DASHBOARDS))
def test_default_dashboards_pass_the_lint(filename):
    d = render(f"mixin.grafanaDashboards['{filename}']")
    assert lint(d, expected_uid=DASHBOARDS[filename]) == []


def _config_keys(config: dict, prefix: str = "") -> list[str]:
    keys = []
    for key, value in config.items():
        keys.append(prefix + key)
        if isinstance(value, dict) and key != "alertFor":
            keys += _config_keys(value, prefix + key + ".")
    return keys


def test_readme_documents_every_config_key():
    text = (MIXIN / "README.md").read_text()
    for key in _config_keys(render("mixin._config")):
        assert f"`{key}`" in text, f"mixin/README.md does not document _config.{key}"
    for name in render("std.objectFields(mixin._config.alertFor)"):
        assert name in text
