"""Hostile provider and model names, from the configuration and from gateway outcomes, end to end.

Every output format (text 0.0.4 and OpenMetrics 1.0, plain and gzip) must stay valid for `promtool check metrics`
and both prometheus_client parsers, carry every name back unchanged, and never repeat a series; a real Prometheus
must ingest the scrape without errors. The JSON API, CSV and status page must stay well-formed too.
"""
import csv
import gzip
import io
import json
import os
import shutil
import subprocess
import tempfile
import urllib.parse

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text

from harness import fake_openai, http_get, prometheus_query, run_exporter, run_prometheus, wait_until

OPENMETRICS = {"Accept": "application/openmetrics-text; version=1.0.0"}

# Names a user or a gateway can produce. Some differ only by case, some collide once "sanitised" (spaces, dashes,
# slashes, percent-encoding), one is the histogram's own `le`, one is very long.
HOSTILE = [
    'quote"inside', "back\\slash", "trailing\\", "new\nline", "tab\tname", "Zürich ☃ 日本語", "🚀👩‍💻🏳️‍🌈",
    "OpenAI", "openai", "OPENAI", "a b", "a_b", "a-b", "a/b", "a%2Fb", "le", "{}=,# ", "x" * 2000,
    "line\u2028sep", "\\n literal",
]
MODELS = ["le", "gpt\"4", "m\\1", "m\nnew", "日本語-model", "m" * 500]


def yaml_string(text):
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def write_config(path, base):
    lines = ["global:", "  interval: 2s", "  timeout: 1500ms", "  jitter: 10ms", "providers:"]
    for name in HOSTILE:
        lines.append(f"  - name: {yaml_string(name)}")
        lines.append("    kind: openai")
        lines.append(f"    base_url: {base}")
        lines.append("    models: [" + ", ".join(yaml_string(m) for m in MODELS) + "]")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def series_keys(families):
    keys = []
    for family in families:
        for sample in family.samples:
            keys.append((sample.name, tuple(sorted(sample.labels.items()))))
    return keys


def check_exposition(text, parser, what):
    families = list(parser(text))
    keys = series_keys(families)
    duplicates = {k for k in keys if keys.count(k) > 1} if len(keys) != len(set(keys)) else set()
    assert not duplicates, f"{what}: duplicated series {sorted(duplicates)[:3]}"
    by_name = {f.name: f for f in families}
    status = by_name["provider_status"]
    providers = {s.labels["provider"] for s in status.samples}
    assert set(HOSTILE) <= providers, f"{what}: missing {set(HOSTILE) - providers}"
    availability = by_name["model_availability"]
    for name in HOSTILE:
        models = {s.labels["model"] for s in availability.samples if s.labels["provider"] == name}
        assert models == set(MODELS), (what, name, models)
    # Exactly one status is 1 per provider: a label value that leaked into another series would break this.
    for name in HOSTILE:
        ones = [s for s in status.samples if s.labels["provider"] == name and s.value == 1]
        assert len(ones) == 1, (what, name, ones)
    histogram = by_name.get("model_response_time_seconds")
    assert histogram is not None, what
    le_model = [s for s in histogram.samples if s.labels.get("model") == "le" and s.name.endswith("_bucket")]
    assert le_model and all("le" in s.labels for s in le_model), what
    return families


def promtool_check(text):
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is not installed (apt-get install prometheus)")
    run = subprocess.run([promtool, "check", "metrics"], input=text.encode(), capture_output=True)
    # promtool exits 1 for lint warnings too: there must be none at all.
    assert run.returncode == 0, (run.stdout + run.stderr).decode()[:2000]


def fetch(exporter, headers):
    status, hdrs, body = http_get(exporter.base + "/metrics", headers)
    assert status == 200, body[:500]
    if hdrs.get("content-encoding") == "gzip":
        body = gzip.decompress(body)
    return hdrs, body.decode("utf-8")


def post_outcomes(exporter, lines):
    body = "\n".join(json.dumps(o, ensure_ascii=False) for o in lines).encode()
    return exporter.post("/api/v1/outcomes", body, {"Content-Type": "application/x-ndjson"})


def test_hostile_names_keep_every_format_valid_and_distinct():
    with fake_openai(models=MODELS) as base, tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, "config.yml")
        write_config(config, base)
        with run_exporter("--config.file", config, "--aggregation.interval", "1s", "--history.path",
                          os.path.join(tmp, "h.sqlite"), "--ingest.accept-unknown-providers",
                          "--web.allow-anonymous-writes") as exporter:
            # Gateway outcomes for configured hostile names, and for names the configuration never saw.
            traffic_only = ["gw \"quoted\"", "gw\\back", "gw\nnewline", "GW", "gw", "nul\u0000byte", "le"]
            outcomes = [{"provider": p, "model": m, "success": i % 3 != 0, "latency_seconds": 0.01 * (i + 1),
                         "status_code": 200 if i % 3 else 503}
                        for i, (p, m) in enumerate([(p, m) for p in HOSTILE[:5] + traffic_only for m in MODELS[:3]])]
            status, _, body = post_outcomes(exporter, outcomes)
            assert status == 202, body

            def everything_probed():
                text = exporter.metrics()
                families = {f.name: f for f in parse_text(text)}
                seen = {s.labels["provider"] for s in families["provider_status"].samples}
                probed = families["provider_last_probe_timestamp_seconds"].samples
                return set(HOSTILE) | set(traffic_only) <= seen and all(s.value > 0 for s in probed
                                                                         if s.labels["provider"] in HOSTILE)
            wait_until(everything_probed, 30, what="every hostile provider probed and every outcome aggregated")

            for headers, parser, what in [
                ({}, parse_text, "text"), ({"Accept-Encoding": "gzip"}, parse_text, "text+gzip"),
                (OPENMETRICS, parse_openmetrics, "openmetrics"),
                ({**OPENMETRICS, "Accept-Encoding": "gzip"}, parse_openmetrics, "openmetrics+gzip"),
            ]:
                hdrs, text = fetch(exporter, headers)
                families = check_exposition(text, parser, what)
                providers = {s.labels["provider"] for f in families if f.name == "provider_status" for s in f.samples}
                assert set(traffic_only) <= providers, (what, set(traffic_only) - providers)
                if parser is parse_text:
                    promtool_check(text)
                else:
                    assert text.endswith("# EOF\n"), what

            # The JSON API answers valid JSON carrying every name; one provider can be fetched by its name.
            status, api = exporter.json("/api/providers/status")
            assert status == 200
            assert set(HOSTILE) <= {p["name"] for p in api["providers"]}
            for name in ["a/b", "a%2Fb", "new\nline", "🚀👩‍💻🏳️‍🌈", "le", "OpenAI"]:
                status, one = exporter.json("/api/providers/status/" + urllib.parse.quote(name, safe=""))
                assert status == 200, (name, one)
                assert one["name"] == name
                status, _, page = exporter.get("/providers/" + urllib.parse.quote(name, safe=""))
                assert status == 200, name
            # CSV: one parseable row per provider per cycle, names intact (quotes and newlines included).
            wait_until(lambda: exporter.get("/api/providers/export/csv?hours=1")[2].count(b"\n") > len(HOSTILE),
                       30, what="history rows")
            rows = list(csv.DictReader(io.StringIO(exporter.get("/api/providers/export/csv?hours=1")[2].decode())))
            assert set(HOSTILE) <= {r["provider"] for r in rows}
            status, _, page = exporter.get("/")
            assert status == 200 and b"<script" not in page
            assert "Zürich ☃ 日本語".encode() in page and b'quote&quot;inside' in page

            # A real Prometheus ingests the scrape: no "duplicate sample" or parse errors, every provider a series.
            prometheus_ingests(exporter, tmp)


def prometheus_ingests(exporter, tmp):
    config = ("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: hostile\n"
              f"    static_configs:\n      - targets: ['127.0.0.1:{exporter.port}']\n")
    with run_prometheus(config, tmp) as base:
        def query(expr):
            return prometheus_query(base, expr)
        names = wait_until(lambda: {r["metric"]["provider"] for r in query("provider_health_score")} >= set(HOSTILE)
                           and {r["metric"]["provider"] for r in query("provider_health_score")}, 30,
                           what="every hostile provider in Prometheus")
        assert set(HOSTILE) <= names
        up = query('up{job="hostile"}')
        assert up and up[0]["value"][1] == "1", up
        # Prometheus counts samples it refused (duplicates, out of order) per scrape.
        for metric in ["scrape_samples_scraped", "scrape_samples_post_metric_relabeling"]:
            assert float(query(metric + '{job="hostile"}')[0]["value"][1]) > 0
        status, _, body = http_get(base + "/api/v1/targets")
        target = json.loads(body)["data"]["activeTargets"][0]
        assert target["health"] == "up" and not target["lastError"], target
    with open(os.path.join(tmp, "prometheus.log")) as f:
        log = f.read()
    assert "duplicate sample" not in log.lower() and "invalid" not in log.lower(), log[-2000:]
