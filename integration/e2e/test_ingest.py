"""Passive outcomes from a gateway: they join the same results as probes; bad batches change nothing."""
import json
import random
import tempfile
import time

from harness import metric_value, run_exporter, wait_until

# Writes are closed by default: a gateway posts with the ingest token.
TOKEN = "gateway-ingest-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NDJSON = {"Content-Type": "application/x-ndjson", **AUTH}


def token_file():
    """A file holding TOKEN, for --web.ingest-token-file (left for the OS to clean up)."""
    f = tempfile.NamedTemporaryFile("w", prefix="ingest-token-", delete=False)
    f.write(TOKEN + "\n")
    f.close()
    return f.name


def outcome_lines(n, failure_rate, provider="demo-healthy", models=("gpt-4o", "gpt-4o-mini")):
    rng = random.Random(7)
    failures = set(rng.sample(range(n), int(n * failure_rate)))
    for i in range(n):
        failed = i in failures
        yield json.dumps({
            "provider": provider, "model": models[i % len(models)], "success": not failed,
            "latency_seconds": round(rng.uniform(0.05, 0.8), 4),
            "status_code": 503 if failed else 200, "error": "upstream 503" if failed else None,
        })


def traffic_total(exporter, provider="demo-healthy"):
    return metric_value(exporter.metrics(), "provider_results_total", provider=provider, source="traffic")


def test_ten_thousand_outcomes_at_thirty_percent_failures():
    with run_exporter("--demo", "--aggregation.interval", "1s", "--history.path", ":memory:",
                      "--web.ingest-token-file", token_file()) as exporter:
        before = traffic_total(exporter)
        lines = list(outcome_lines(10_000, 0.30))
        for start in range(0, 10_000, 2_500):
            status, _, body = exporter.post("/api/v1/outcomes", "\n".join(lines[start:start + 2_500]).encode(), NDJSON)
            assert status == 202, body
            assert json.loads(body)["accepted"] == 2_500
        wait_until(lambda: traffic_total(exporter) == before + 10_000, 10, what="traffic results counted")
        text = exporter.metrics()
        error_rate = metric_value(text, "provider_error_rate", provider="demo-healthy")
        assert abs(error_rate - 0.30) <= 0.01, error_rate
        failures = metric_value(text, "provider_result_failures_total", provider="demo-healthy", source="traffic", reason="http_5xx")
        assert failures == 3_000
        assert metric_value(text, "provider_health_exporter_outcomes_received_total") == 10_000


def test_bad_batches_get_documented_errors_and_change_nothing():
    with run_exporter("--demo", "--aggregation.interval", "1s", "--history.path", ":memory:",
                      "--web.ingest-token-file", token_file(), "--ingest.max-body-bytes", "20000", "--ingest.max-models-per-provider", "5") as exporter:
        before = traffic_total(exporter)
        good = json.dumps({"provider": "demo-healthy", "model": "gpt-4o-mini", "success": True, "latency_seconds": 0.1})

        status, _, body = exporter.post("/api/v1/outcomes", b'[{"provider": "demo-healthy", "model": ', {"Content-Type": "application/json", **AUTH})
        assert status == 400 and json.loads(body)["error"].startswith("outcomes rejected"), body

        status, _, body = exporter.post("/api/v1/outcomes", (good + "\n" + good + "\n{not json}\n" + good).encode(), NDJSON)
        assert status == 400 and "line 3" in json.loads(body)["detail"], body

        status, _, body = exporter.post("/api/v1/outcomes", ("\n".join([good] * 400)).encode(), NDJSON)
        assert status == 413, body
        assert "20000" in json.loads(body)["detail"], body

        many = "\n".join(json.dumps({"provider": "demo-healthy", "model": f"m-{i}", "success": True, "latency_seconds": 0.1}) for i in range(10))
        status, _, body = exporter.post("/api/v1/outcomes", many.encode(), NDJSON)
        assert status == 422 and "5" in json.loads(body)["detail"], body

        unknown = json.dumps({"provider": "nobody", "model": "x", "success": True, "latency_seconds": 0.1})
        status, _, body = exporter.post("/api/v1/outcomes", unknown.encode(), NDJSON)
        assert status == 422, body

        time.sleep(1.5)  # a full cycle after the last rejection
        text = exporter.metrics()
        assert traffic_total(exporter) == before
        assert "m-0" not in text
        for reason, count in [("malformed", 2), ("body_too_large", 1), ("too_many_models", 1), ("unknown_provider", 1)]:
            assert metric_value(text, "provider_health_exporter_outcomes_rejected_total", reason=reason) == count, reason

        status, _, body = exporter.post("/api/v1/outcomes", good.encode(), NDJSON)
        assert status == 202
        wait_until(lambda: traffic_total(exporter) == before + 1, 5, what="the good outcome")
