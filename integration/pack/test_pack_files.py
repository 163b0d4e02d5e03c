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
                "ProviderHighLatency", "ProviderCircuitBreakerOpen", "ProviderNoneHealthy",
                "ProviderProbesStale", "ProviderHealthExporterDown", "ProviderHealthExporterConfigReloadFailed"}
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
    assert ann["runbook_url"] == f"docs/runbook.md#{name.lower()}"
    assert name.lower() in runbook_anchors(), f"docs/runbook.md has no section {name}"


@pytest.mark.parametrize("rule", [r for r in ALERTS if r["alert"] != "ProviderHealthExporterAbsent"],
                         ids=[n for n in ALERT_NAMES if n != "ProviderHealthExporterAbsent"])
def test_alert_expression_selects_the_job(rule):
    # Either a raw selector with the job, or a recording rule that already selected it.
    expr = rule["expr"]
    assert 'job="provider-health-exporter"' in expr or re.search(r"\bjob_[a-z_]*:", expr), expr


def test_provider_alerts_keep_job_and_provider_labels_only():
    # Aggregating away `instance` is what keeps HA pairs and shards right.
    for rule in ALERTS:
        if rule["alert"].startswith("ProviderHealthExporter") or rule["alert"] in ("ProviderProbesStale",
                                                                                   "ProviderNoneHealthy"):
            continue
        expr = rule["expr"]
        assert "by (job, provider)" in expr or expr.strip().startswith("job_provider:"), rule["alert"]


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


def test_exporter_down_inhibits_provider_alerts_but_not_itself():
    cfg = _yaml("alertmanager.yml")
    rule = next(r for r in cfg["inhibit_rules"] if any("ProviderHealthExporter" in m for m in r["source_matchers"]))

    def targeted(name: str) -> bool:
        for m in rule["target_matchers"]:
            field, op, value = re.fullmatch(r'(\w+)\s*(=~|!~|=|!=)\s*"?(.*?)"?', m).groups()
            hit = re.fullmatch(value, name) is not None
            if (op == "=~" and not hit) or (op == "!~" and hit):
                return False
        return True

    assert targeted("ProviderDown") and targeted("ProviderNoneHealthy")
    assert not targeted("ProviderHealthExporterDown")
    assert rule["equal"] == ["job"]


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
    for pkg in ("ca-certificates", "libsqlite3-0"):
        assert pkg in text
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
    for pkg in ("libsqlite3-dev", "zlib1g-dev"):
        assert pkg in text
    assert "-c release" in text and "--product provider-health-exporter" in text
    assert "-warnings-as-errors" in text and "--static-swift-stdlib" in text
    assert "--show-bin-path" in text
