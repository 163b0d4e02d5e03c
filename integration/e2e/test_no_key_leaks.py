"""Canary keys never appear in any response, page, CSV, log line or error message."""
import json
import os
import signal
import tempfile

from harness import fake_openai, run_exporter, wait_until

CANARIES = ["sk-canary-aa11bb22cc33dd44", "sk-canary-inline-9988776655", "sk-canary-file-5544332211"]


def test_no_canary_anywhere():
    with fake_openai(key="the-real-key-is-different") as base, tempfile.TemporaryDirectory() as tmp:
        key_file = os.path.join(tmp, "key")
        with open(key_file, "w") as f:
            f.write(CANARIES[2] + "\n")
        token_file = os.path.join(tmp, "token")
        with open(token_file, "w") as f:
            f.write("admin-token-123\n")
        config = os.path.join(tmp, "config.yml")
        with open(config, "w") as f:
            f.write(
                "global:\n  interval: 1s\n  timeout: 800ms\n  jitter: 10ms\nproviders:\n"
                f"  - name: from-env\n    kind: openai\n    base_url: {base}\n    api_key_env: CANARY_ENV\n    models: [gpt-test]\n"
                f"  - name: inline\n    kind: openai\n    base_url: {base}\n    api_key: {CANARIES[1]}\n"
                f"  - name: from-file\n    kind: openai\n    base_url: {base}\n    api_key_file: {key_file}\n"
                f"    headers: {{Authorization-Extra: {CANARIES[0]}}}\n")
        with run_exporter("--config.file", config, "--aggregation.interval", "1s", "--history.path",
                          os.path.join(tmp, "h.sqlite"), "--web.admin-token-file", token_file, "--log.level", "debug",
                          "--web.allow-anonymous-writes", env={"CANARY_ENV": CANARIES[0]}) as exporter:
            wait_until(lambda: exporter.json("/api/providers/status")[1]["providers"] and all(
                p["status"] == "unauthorized" for p in exporter.json("/api/providers/status")[1]["providers"]), 15,
                what="every provider unauthorized")
            auth = {"Authorization": "Bearer admin-token-123"}
            bodies = []
            for path in ["/metrics", "/health", "/api/providers/status", "/api/providers/status/inline",
                         "/api/providers/best", "/api/providers/history?hours=1", "/api/providers/export/csv",
                         "/config", "/", "/providers/from-file", "/nope"]:
                bodies.append(exporter.get(path)[2])
            for name in ["from-env", "inline", "from-file"]:
                bodies.append(exporter.post(f"/api/providers/{name}/check?force=true", headers=auth)[2])
            bodies.append(exporter.post("/api/v1/outcomes", json.dumps({"provider": "nobody"}).encode())[2])
            bodies.append(exporter.get("/metrics", {"Accept": "application/openmetrics-text; version=1.0.0"})[2])
            assert any(b"last_error" in b for b in bodies)
            exporter.proc.send_signal(signal.SIGTERM)
            exporter.proc.wait(timeout=10)
            log = exporter.log()
            for canary in CANARIES:
                for body in bodies:
                    text = body.decode(errors="replace")
                    assert canary not in text, (canary, text[:300])
                assert canary not in log, canary
