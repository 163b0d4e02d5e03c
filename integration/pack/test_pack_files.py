"""Static checks that the pack's files agree with each other and with the conventions.

Alert style (monitoring-mixin conventions), runbook anchors, unit-test coverage of every alert,
inhibition rules naming real alerts, docs listing every alert and panel, Docker and compose wiring.
"""

from __future__ import annotations

import re

import pytest

from dashboard_lint import iter_panels
from packpaths import DASHBOARDS, REPO_ROOT, RULES_DIR, load_dashboard, load_yaml

SEVERITIES = {"critical", "warning"}
# The mixin's default _config.runbookURLBase, which the shipped rule files are rendered with.
RUNBOOK_BASE = "https://github.com/provider-health-exporter/provider-health-exporter/blob/main/docs/runbook.md"
GENERATED_HEADER = "# Generated from mixin/ by scripts/generate-pack.sh"


def _yaml(rel: str):
    return load_yaml(rel)


def _alert_rules() -> list[dict]:
    doc = load_yaml(RULES_DIR / "alerts.yml")
    return [r for g in doc["groups"] for r in g["rules"] if "alert" in r]


ALERTS = _alert_rules()
ALERT_NAMES = [r["alert"] for r in ALERTS]


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    slug = heading.strip().lower()
    slug = re.sub(r"[^\w\- ]", "", slug)
    return slug.replace(" ", "-")


def runbook_anchors() -> set[str]:
    text = (REPO_ROOT / "docs/runbook.md").read_text()
    return {github_anchor(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.+)$", text, re.MULTILINE)}


# ------------------------------------------------------------------ alert style

def test_the_required_alerts_exist():
    required = {"ProviderDown", "ProviderUnauthorized", "ProviderRateLimited", "ProviderHighErrorRate",
                "ProviderHighLatency", "ProviderModelUnavailable", "ProviderCircuitBreakerOpen",
                "ProviderNoneAvailable", "ProviderNoneHealthy", "ProviderProbesStale", "ProviderHealthExporterDown",
                "ProviderHealthExporterJobDown", "ProviderHealthExporterAbsent",
                "ProviderHealthExporterConfigReloadFailed", "ProviderHealthExporterAggregationStalled"}
    assert required <= set(ALERT_NAMES)
    assert len(set(ALERT_NAMES)) == len(ALERT_NAMES)


@pytest.mark.parametrize("rule", ALERTS, ids=ALERT_NAMES)
def test_alert_follows_mixin_style(rule):
    name = rule["alert"]
    assert re.fullmatch(r"Provider(?:[A-Z][a-z0-9]+)+", name), "CamelCase with the common prefix"
    assert rule.get("for"), "every alert needs for:"
    assert rule["labels"]["severity"] in SEVERITIES
    ann = rule["annotations"]
    assert ann["summary"].strip()
    assert "{{" in ann["description"], "description should be templated"
    # Absolute, so that the link in a notification works.
    assert ann["runbook_url"] == f"{RUNBOOK_BASE}#{name.lower()}"
    assert name.lower() in runbook_anchors(), f"docs/runbook.md has no section {name}"


@pytest.mark.parametrize("rule", [r for r in ALERTS if r["alert"] != "ProviderHealthExporterAbsent"],
                         ids=[n for n in ALERT_NAMES if n != "ProviderHealthExporterAbsent"])
def test_alert_expression_selects_the_job(rule):
    assert 'job="provider-health-exporter"' in rule["expr"], rule["expr"]


@pytest.mark.parametrize("rule", ALERTS, ids=ALERT_NAMES)
def test_alerts_need_no_recording_rule(rule):
    # The alerts read the exporter's series directly: they work with alerts.yml alone.
    assert not re.search(r"\b[a-z_]+:[a-z_:0-9]+", rule["expr"]), rule["expr"]


# How each provider alert aggregates over instances; `instance` is never kept, so HA pairs and shards stay right.
PROVIDER_ALERT_AGGREGATION = {
    "ProviderDown": "min by (job, provider)",  # every instance must agree
    "ProviderUnauthorized": "max by (job, provider)",  # any instance
    "ProviderRateLimited": "max by (job, provider)",
    "ProviderHighErrorRate": "max by (job, provider)",
    "ProviderHighLatency": "max by (job, provider)",
    "ProviderModelUnavailable": "max by (job, provider, model)",  # unavailable on every instance
    "ProviderCircuitBreakerOpen": "max by (job, provider)",
    "ProviderNoneAvailable": "max by (job)",
    "ProviderNoneHealthy": "max by (job)",
}


@pytest.mark.parametrize("name", sorted(PROVIDER_ALERT_AGGREGATION))
def test_provider_alerts_aggregate_instances_away(name):
    rule = next(r for r in ALERTS if r["alert"] == name)
    assert rule["expr"].lstrip().startswith(PROVIDER_ALERT_AGGREGATION[name]), rule["expr"]


def test_every_alert_is_either_provider_or_exporter_scoped():
    per_instance = {"ProviderProbesStale", "ProviderHealthExporterDown", "ProviderHealthExporterConfigReloadFailed",
                    "ProviderHealthExporterAggregationStalled", "ProviderHealthExporterProbesBlockedByProxy"}
    per_job = {"ProviderHealthExporterJobDown", "ProviderHealthExporterAbsent"}
    assert set(ALERT_NAMES) == set(PROVIDER_ALERT_AGGREGATION) | per_instance | per_job


@pytest.mark.parametrize("name,threshold", [("ProviderHighErrorRate", "provider_error_rate_threshold"),
                                            ("ProviderHighLatency", "provider_latency_threshold_seconds"),
                                            ("ProviderProbesStale", "provider_probe_interval_seconds")])
def test_alerts_show_the_thresholds_the_exporter_exports(name, threshold):
    rule = next(r for r in ALERTS if r["alert"] == name)
    assert f"query (printf `max({threshold}{{" in rule["annotations"]["description"]


def test_alerts_follow_the_exporter_verdicts_not_fixed_thresholds():
    exprs = {r["alert"]: r["expr"] for r in ALERTS}
    assert 'provider_condition{job="provider-health-exporter", condition="error_rate"}' in exprs["ProviderHighErrorRate"]
    assert 'provider_condition{job="provider-health-exporter", condition="latency"}' in exprs["ProviderHighLatency"]
    assert "provider_probe_interval_seconds" in exprs["ProviderProbesStale"]
    assert "900" not in exprs["ProviderProbesStale"]


@pytest.mark.parametrize("rel", ["prometheus/alerts.yml", "prometheus/rules.yml"])
def test_generated_rule_files_say_where_they_come_from(rel):
    assert GENERATED_HEADER in (REPO_ROOT / rel).read_text().split("groups:", 1)[0]


# ------------------------------------------------------------------ unit-test coverage

def _alert_tests() -> list[dict]:
    doc = load_yaml(RULES_DIR / "tests/alerts_test.yml")
    return [case for test in doc["tests"] for case in test.get("alert_rule_test", [])]


@pytest.mark.parametrize("name", ALERT_NAMES)
def test_every_alert_has_a_firing_and_a_quiet_unit_test(name):
    cases = [c for c in _alert_tests() if c["alertname"] == name]
    assert any(c.get("exp_alerts") for c in cases), f"no test where {name} fires"
    assert any(not c.get("exp_alerts") for c in cases), f"no test where {name} stays quiet"


def test_rule_tests_load_the_shipped_rule_files():
    for test_file in (RULES_DIR / "tests").glob("*_test.yml"):
        files = load_yaml(test_file)["rule_files"]
        for f in files:
            assert (test_file.parent / f).resolve().is_file(), (test_file, f)


# ------------------------------------------------------------------ prometheus.yml

def test_prometheus_config_loads_every_rule_file_and_alertmanager():
    cfg = _yaml("prometheus.yml")
    assert sorted(cfg["rule_files"]) == sorted(
        str(p.relative_to(REPO_ROOT)) for p in RULES_DIR.glob("*.yml"))
    assert cfg["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    jobs = {sc["job_name"]: sc for sc in cfg["scrape_configs"]}
    assert set(jobs) >= {"provider-health-exporter", "prometheus"}
    assert jobs["provider-health-exporter"]["static_configs"][0]["targets"] == ["exporter:9464"]


# ------------------------------------------------------------------ alertmanager.yml

def _matcher_regex(m: str) -> tuple[str, re.Pattern] | None:
    name, op, value = re.fullmatch(r'(\w+)\s*(=~|!~|=|!=)\s*"?(.*?)"?', m).groups()
    if name != "alertname" or op not in ("=", "=~"):
        return None
    return op, re.compile(value if op == "=~" else re.escape(value))


def test_inhibition_rules_name_existing_alerts():
    cfg = _yaml("alertmanager.yml")
    for rule in cfg["inhibit_rules"]:
        for key in ("source_matchers", "target_matchers"):
            for m in rule[key]:
                parsed = _matcher_regex(m)
                if parsed is None:
                    continue
                _, pattern = parsed
                assert any(pattern.fullmatch(n) for n in ALERT_NAMES), f"{m} matches no alert"


def _matches(matchers: list[str], labels: dict[str, str]) -> bool:
    for m in matchers:
        name, op, value = re.fullmatch(r'(\w+)\s*(=~|!~|=|!=)\s*"?(.*?)"?', m).groups()
        actual = labels.get(name, "")
        hit = re.fullmatch(value, actual) is not None if op in ("=~", "!~") else actual == value
        if op in ("!=", "!~"):
            hit = not hit
        if not hit:
            return False
    return True


def inhibited(active: list[dict[str, str]]) -> set[str]:
    """Alertmanager's inhibition over firing alerts (label sets): the alertnames it would silence."""
    rules = _yaml("alertmanager.yml")["inhibit_rules"]
    out = set()
    for target in active:
        for rule in rules:
            if not _matches(rule["target_matchers"], target):
                continue
            for source in active:
                if source is target or not _matches(rule["source_matchers"], source):
                    continue
                if all(source.get(label, "") == target.get(label, "") for label in rule.get("equal", [])):
                    out.add(target["alertname"])
    return out


JOB = "provider-health-exporter"


def _alert(name: str, **labels) -> dict[str, str]:
    return {"alertname": name, "job": JOB, **labels}


def test_one_dead_replica_inhibits_no_provider_alert():
    active = [_alert("ProviderHealthExporterDown", instance="b:9464"), _alert("ProviderDown", provider="p1"),
              _alert("ProviderNoneHealthy")]
    assert inhibited(active) == set()


@pytest.mark.parametrize("source", ["ProviderHealthExporterJobDown", "ProviderHealthExporterAbsent"])
def test_a_job_without_live_instances_inhibits_every_provider_alert_of_that_job(source):
    providers = [_alert(n, provider="p1") for n in PROVIDER_ALERT_AGGREGATION if n != "ProviderModelUnavailable"]
    providers += [_alert("ProviderModelUnavailable", provider="p1", model="m1"), _alert("ProviderProbesStale",
                                                                                        instance="a:9464",
                                                                                        provider="p1")]
    other_job = {**_alert("ProviderDown", provider="p1"), "job": "other"}
    got = inhibited([_alert(source), *providers, other_job])
    assert got == {a["alertname"] for a in providers}
    assert source not in got


def test_job_down_inhibits_the_per_instance_alerts():
    active = [_alert("ProviderHealthExporterJobDown"), _alert("ProviderHealthExporterDown", instance="a:9464"),
              _alert("ProviderHealthExporterDown", instance="b:9464")]
    assert inhibited(active) == {"ProviderHealthExporterDown"}


def test_provider_level_inhibitions():
    down = [_alert("ProviderDown", provider="p1")] + [
        _alert(n, provider="p1") for n in ("ProviderHighErrorRate", "ProviderHighLatency",
                                            "ProviderCircuitBreakerOpen")] + [
        _alert("ProviderModelUnavailable", provider="p1", model="m1")]
    assert inhibited(down) == {"ProviderHighErrorRate", "ProviderHighLatency", "ProviderCircuitBreakerOpen",
                               "ProviderModelUnavailable"}
    unauthorized = [_alert("ProviderUnauthorized", provider="p1"), _alert("ProviderDown", provider="p1")]
    assert inhibited(unauthorized) == {"ProviderDown"}
    limited = [_alert("ProviderRateLimited", provider="p1"), _alert("ProviderHighErrorRate", provider="p1"),
               _alert("ProviderHighLatency", provider="p1")]
    assert inhibited(limited) == {"ProviderHighErrorRate"}
    assert inhibited([_alert("ProviderNoneAvailable"), _alert("ProviderNoneHealthy")]) == {"ProviderNoneHealthy"}


def test_inhibition_keeps_other_providers_alerts():
    active = [_alert("ProviderDown", provider="p1"), _alert("ProviderHighLatency", provider="p2")]
    assert inhibited(active) == set()


def test_alertmanager_routes_by_severity_to_webhooks_grouped_by_provider():
    cfg = _yaml("alertmanager.yml")
    assert "provider" in cfg["route"]["group_by"]
    receivers = {r["name"]: r for r in cfg["receivers"]}
    routes = {tuple(r["matchers"]): r["receiver"] for r in cfg["route"]["routes"]}
    assert routes[('severity="critical"',)] == "pager"
    assert routes[('severity="warning"',)] == "ticket"
    for name in ("pager", "ticket"):
        assert receivers[name]["webhook_configs"][0]["url"].startswith("http")


# ------------------------------------------------------------------ docs

def test_pack_doc_lists_every_alert_with_its_severity():
    text = (REPO_ROOT / "docs/pack.md").read_text()
    for rule in ALERTS:
        row = re.search(rf"^\| `{rule['alert']}` \| (\w+) \| (\w+) \|", text, re.MULTILINE)
        assert row, f"docs/pack.md alert table lacks {rule['alert']}"
        assert row.group(1) == rule["labels"]["severity"]
        assert row.group(2) == rule["for"]


@pytest.mark.parametrize("filename", sorted(DASHBOARDS))
def test_pack_doc_lists_every_panel(filename):
    text = (REPO_ROOT / "docs/pack.md").read_text()
    d = load_dashboard(filename)
    section = text.split(f"### {d['title']} (uid `{d['uid']}`)", 1)
    assert len(section) == 2, f"docs/pack.md has no section for {d['title']}"
    body = section[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    listed = re.findall(r"^[ \t]+- (.+)$", body, re.MULTILINE)
    rows = re.findall(r"^- \*\*(.+?)\*\*", body, re.MULTILINE)
    assert listed == [p["title"] for p in iter_panels(d) if p["type"] != "row"]
    assert rows == [p["title"] for p in iter_panels(d) if p["type"] == "row"]


# ------------------------------------------------------------------ Docker and compose

def test_dockerfile_builds_with_the_shared_script_and_runs_unprivileged():
    text = (REPO_ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM\s+(\S+)", text, re.MULTILINE)
    assert len(stages) == 2, "multi-stage"
    assert "ARG SWIFT_IMAGE=swift:6.1-bookworm" in text
    assert "ARG RUNTIME_IMAGE=debian:bookworm-slim" in text
    assert "scripts/build.sh" in text
    # The runtime stage's packages have one home, which the Dockerfile's setup script installs.
    assert "COPY packaging/runtime/ /tmp/runtime/" in text and "RUN /tmp/runtime/setup.sh" in text
    runtime_packages = (REPO_ROOT / "packaging" / "runtime" / "packages.txt").read_text()
    for pkg in ("ca-certificates", "libsqlite3-0", "libyaml-0-2"):
        assert re.search(rf"^{re.escape(pkg)}\b", runtime_packages, re.MULTILINE), pkg
    user = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert user and not user[-1].startswith(("root", "0:", "0 ")) and user[-1] != "0"
    assert re.search(r"^EXPOSE 9464$", text, re.MULTILINE)
    assert 'ENTRYPOINT ["/usr/local/bin/provider-health-exporter"]' in text
    assert "org.opencontainers.image.title" in text
    assert re.search(r"^CMD \[", text, re.MULTILINE)


def test_dockerignore_keeps_what_the_build_copies():
    ignore = (REPO_ROOT / ".dockerignore").read_text().split()
    for needed in ("!Package.swift", "!Sources", "!Tests", "!scripts/build.sh"):
        assert needed in ignore


def test_compose_wires_the_pack_together():
    services = _yaml("compose.yaml")["services"]
    assert "--demo" in services["exporter"]["command"]
    assert services["exporter"]["build"] == "."
    prom = services["prometheus"]["volumes"]
    assert any(v.startswith("./prometheus.yml:/etc/prometheus/prometheus.yml") for v in prom)
    assert any(v.startswith("./prometheus:/etc/prometheus/prometheus") for v in prom)
    assert any(v.startswith("./alertmanager.yml:") for v in services["alertmanager"]["volumes"])
    graf = services["grafana"]["volumes"]
    assert any(v.startswith("./grafana/provisioning:/etc/grafana/provisioning") for v in graf)
    # Service names match the targets of prometheus.yml, alertmanager.yml and the datasource.
    assert {"exporter", "prometheus", "alertmanager", "alert-webhook", "grafana"} <= set(services)
    am = _yaml("alertmanager.yml")
    for r in am["receivers"]:
        for hook in r["webhook_configs"]:
            assert hook["url"].startswith("http://alert-webhook:5001/")


def test_build_script_builds_the_release_product_and_prints_its_path():
    text = (REPO_ROOT / "scripts/build.sh").read_text()
    assert "apt-get update" in text and "apt-get install -y" in text
    for pkg in ("libsqlite3-dev", "libyaml-dev", "zlib1g-dev"):
        assert pkg in text
    assert "-c release" in text and "--product provider-health-exporter" in text
    assert "-warnings-as-errors" in text and "--static-swift-stdlib" in text
    assert "--show-bin-path" in text
