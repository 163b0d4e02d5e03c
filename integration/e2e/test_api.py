"""Every route of the HTTP API against the demo exporter: status codes and bodies."""
import json
import os
import tempfile

from harness import DEMO_STATUSES, metric_value, run_exporter, wait_until

TOKEN = "admin-token-5d1e8c"
EXPECTED = DEMO_STATUSES


def all_statuses(exporter):
    status, body = exporter.json("/api/providers/status")
    return status == 200 and {p["name"]: p["status"] for p in body["providers"]} == EXPECTED


def test_every_route():
    with tempfile.TemporaryDirectory() as tmp:
        token_file = os.path.join(tmp, "token")
        with open(token_file, "w") as f:
            f.write(TOKEN + "\n")
        with run_exporter("--demo", "--aggregation.interval", "1s", "--history.path", os.path.join(tmp, "h.sqlite"),
                          "--web.admin-token-file", token_file) as exporter:
            wait_until(lambda: all_statuses(exporter), 20, what="every demo status in the API")

            status, health = exporter.json("/health")
            assert status == 200
            assert health["ready"] is True and health["status"] == "degraded"
            assert health["providers"] == EXPECTED
            assert health["best_provider"] == "demo-healthy"

            status, body = exporter.json("/api/providers/status")
            assert status == 200
            by_name = {p["name"]: p for p in body["providers"]}
            healthy = by_name["demo-healthy"]
            for key in ["health_score", "error_rate", "p95_latency_seconds", "uptime_24h_percent", "consecutive_failures",
                        "circuit_breaker", "last_check", "models_available", "models_total", "level"]:
                assert key in healthy, key
            assert healthy["health_score"] > 0.9 and healthy["circuit_breaker"] == "closed"
            assert by_name["demo-ratelimited"]["rate_limit_remaining_percent"]["requests"] < 10
            assert by_name["demo-unauthorized"]["level"] == "down"
            assert by_name["demo-ratelimited"]["level"] == "degraded"
            assert "models" not in healthy

            status, one = exporter.json("/api/providers/status/demo-slow")
            assert status == 200 and one["name"] == "demo-slow"
            assert [m["name"] for m in one["models"]] == ["claude-sonnet-4", "claude-3-5-haiku"]
            assert one["p95_latency_seconds"] > 1.0

            status, err = exporter.json("/api/providers/status/no-such-provider")
            assert status == 404 and err["error"] == "unknown provider" and "detail" in err

            status, best = exporter.json("/api/providers/best")
            assert status == 200
            assert best["best_provider"] == "demo-healthy"
            assert best["alternatives"] == []
            assert "reason" in best

            status, history = exporter.json("/api/providers/history?hours=1")
            assert status == 200 and history["points"], history
            assert {p["provider"] for p in history["points"]} == set(EXPECTED)
            assert exporter.json("/api/providers/history?hours=abc")[0] == 400
            status, headers, csv_body = exporter.get("/api/providers/export/csv?hours=1")
            assert status == 200 and headers["content-type"].startswith("text/csv")
            assert csv_body.decode().splitlines()[0].startswith("timestamp,provider")

            status, headers, config = exporter.get("/config")
            assert status == 200 and b"demo-healthy" in config
            assert b"demo-key-" not in config and b"<secret>" in config

            # Admin routes: 401 without a token, 403 with a wrong one.
            for path in ["/api/providers/demo-healthy/check", "/api/providers/demo-down/reset", "/-/reload"]:
                assert exporter.post(path)[0] == 401
                assert exporter.post(path, headers={"Authorization": "Bearer wrong"})[0] == 403
            auth = {"Authorization": f"Bearer {TOKEN}"}
            status, _, body = exporter.post("/api/providers/demo-healthy/check", headers=auth)
            check = json.loads(body)
            assert status == 200 and check["cached"] is True and check["provider"] == "demo-healthy"
            status, _, body = exporter.post("/api/providers/demo-healthy/check?force=true", headers=auth)
            check = json.loads(body)
            assert status == 200 and check["cached"] is False and check["reachable"] is True
            assert exporter.post("/api/providers/nope/check", headers=auth)[0] == 404
            status, _, body = exporter.post("/api/providers/demo-down/reset", headers=auth)
            assert status == 200 and json.loads(body)["circuit_breaker"] == "closed"
            assert exporter.post("/api/providers/nope/reset", headers=auth)[0] == 404
            status, _, body = exporter.post("/-/reload", headers=auth)
            assert status == 200

            status, headers, page = exporter.get("/")
            assert status == 200 and headers["content-type"].startswith("text/html")
            assert page.count(b"data-status=") >= len(EXPECTED)
            assert exporter.get("/providers/demo-healthy")[0] == 200
            assert exporter.get("/providers/nope")[0] == 404
            assert exporter.get("/-/ready")[0] == 200
            assert exporter.get("/nope")[0] == 404
            assert exporter.get("/api/providers/status", )[0] == 200
            assert exporter.post("/api/providers/status")[0] == 405


def test_writes_are_closed_without_a_configured_token():
    with run_exporter("--demo", "--aggregation.interval", "1s", "--history.path", ":memory:") as exporter:
        for path in ("/api/providers/demo-healthy/check", "/api/providers/demo-down/reset", "/-/reload"):
            status, headers, body = exporter.post(path, headers={"Authorization": "Bearer x"})
            assert status == 401, path
            assert b"--web.admin-token-file" in body and b"--web.allow-anonymous-writes" in body
        # An anonymous outcome is refused and counted nowhere but in the rejections.
        outcome = json.dumps({"provider": "demo-healthy", "model": "gpt-4o", "success": False, "latency_seconds": 1})
        before = metric_value(exporter.metrics(), "provider_results_total", provider="demo-healthy", source="traffic")
        status, _, body = exporter.post("/api/v1/outcomes", outcome.encode(), {"Content-Type": "application/x-ndjson"})
        assert status == 401 and b"--web.ingest-token-file" in body
        text = exporter.metrics()
        assert metric_value(text, "provider_results_total", provider="demo-healthy", source="traffic") == before
        assert metric_value(text, "provider_health_exporter_outcomes_received_total") == 0


def test_best_is_503_when_no_provider_is_healthy():
    with tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, "c.yml")
        with open(config, "w") as f:
            f.write("global:\n  interval: 1s\n  timeout: 500ms\n  jitter: 10ms\n"
                    "providers:\n  - name: nowhere\n    kind: openai\n    base_url: http://127.0.0.1:9/v1\n")
        with run_exporter("--config.file", config, "--aggregation.interval", "1s", "--history.path", ":memory:") as exporter:
            status, best = exporter.json("/api/providers/best")
            assert status == 503
            assert best["best_provider"] is None and best["reason"]
