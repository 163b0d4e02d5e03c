"""The demo exporter end to end: every metric, every status, valid exposition in every encoding."""
import gzip
import subprocess
import time

from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text

from harness import DEMO_STATUSES, run_exporter, wait_until

SPEC_FAMILIES = [
    "provider_availability", "provider_error_rate", "provider_response_time_seconds", "provider_health_score",
    "provider_status", "provider_circuit_breaker_state", "provider_consecutive_failures",
    "provider_models_available", "provider_models", "provider_rate_limit_remaining_ratio", "provider_best",
    "provider_results", "provider_result_failures", "provider_probe_requests",
    "provider_last_probe_timestamp_seconds", "model_availability", "model_response_time_seconds",
    "provider_health_exporter_build_info", "provider_health_exporter_config_last_reload_successful",
    "provider_health_exporter_aggregation_duration_seconds", "process_resident_memory_bytes",
]

EXPECTED_STATUS = DEMO_STATUSES


def statuses(text):
    current = {}
    for family in parse_text(text):
        if family.name == "provider_status":
            for s in family.samples:
                if s.value == 1:
                    current[s.labels["provider"]] = s.labels["status"]
    return current


def test_demo_shows_every_metric_and_status_within_twenty_seconds():
    """A status needs evidence (two failures, or two slow answers, at different moments) and must hold for two
    cycles: with 2 s cycles and probes every second, the flaky provider (one failure in four requests) is
    degraded after about 12 s."""
    with run_exporter("--demo", "--aggregation.interval", "2s", ready=False) as exporter:
        started = time.monotonic()
        wait_until(lambda: statuses(exporter.metrics()) == EXPECTED_STATUS, 20, what="every demo status")
        text = exporter.metrics()
        elapsed = time.monotonic() - started
        assert elapsed <= 20
        names = {f.name for f in parse_text(text)}
        for family in SPEC_FAMILIES:
            assert family in names, f"{family} missing from /metrics"
        best = [s.labels["provider"] for f in parse_text(text) if f.name == "provider_best" for s in f.samples if s.value == 1]
        assert best == ["demo-healthy"]


def test_exposition_is_valid_for_promtool_and_both_python_parsers():
    with run_exporter("--demo", "--aggregation.interval", "1s") as exporter:
        text = exporter.metrics()
        check = subprocess.run(["promtool", "check", "metrics"], input=text.encode(), capture_output=True)
        assert check.returncode == 0, check.stdout.decode() + check.stderr.decode()
        assert len(list(parse_text(text))) > 20

        status, headers, body = exporter.get("/metrics", {"Accept": "application/openmetrics-text; version=1.0.0"})
        assert status == 200
        assert headers["content-type"].startswith("application/openmetrics-text; version=1.0.0")
        families = list(parse_openmetrics(body.decode()))
        assert {"provider_results", "provider_response_time_seconds"} <= {f.name for f in families}
        assert body.decode().endswith("# EOF\n")

        status, headers, body = exporter.get("/metrics", {"Accept-Encoding": "gzip"})
        assert status == 200
        assert headers.get("content-encoding") == "gzip"
        assert body[:2] == b"\x1f\x8b"
        assert "provider_health_score" in gzip.decompress(body).decode()

        status, headers, body = exporter.get(
            "/metrics", {"Accept": "application/openmetrics-text; version=1.0.0", "Accept-Encoding": "gzip"})
        assert headers.get("content-encoding") == "gzip"
        assert gzip.decompress(body).decode().endswith("# EOF\n")


def test_unknown_route_is_a_json_404_and_probes_are_reported():
    with run_exporter("--demo", "--aggregation.interval", "1s") as exporter:
        status, headers, body = exporter.get("/nope")
        assert status == 404
        assert headers["content-type"] == "application/json"
        assert b'"error"' in body and b'"detail"' in body
        text = exporter.metrics()
        probes = {s.labels["provider"]: s.value for f in parse_text(text) if f.name == "provider_probe_requests" for s in f.samples}
        assert probes["demo-healthy"] >= 1
