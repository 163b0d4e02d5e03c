"""The exporter as a process: --config.check, graceful SIGTERM, and API keys that never leak."""
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client.parser import text_string_to_metric_families as parse_text

from harness import exporter_bin, run_exporter, wait_until

CANARY = "sk-canary-7f3a9c2e1d5b4a60"


def write(tmp, name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def test_config_check_reports_every_error_with_line_numbers():
    with tempfile.TemporaryDirectory() as tmp:
        path = write(tmp, "bad.yml", (
            "providers:\n"
            "  - name: openai\n"
            "    kind: openai\n"
            "    base_url: not-a-url\n"
            "    intervall: 30s\n"
        ))
        run = subprocess.run([exporter_bin(), "--config.file", path, "--config.check"], capture_output=True, text=True)
        out = run.stdout + run.stderr
        assert run.returncode != 0
        assert "bad.yml:4" in out and "base_url" in out, out
        assert "bad.yml:5" in out and "intervall" in out, out

        good = write(tmp, "good.yml", "providers:\n  - name: openai\n    kind: openai\n    models: [gpt-4o-mini]\n")
        run = subprocess.run([exporter_bin(), "--config.file", good, "--config.check"], capture_output=True, text=True)
        assert run.returncode == 0, run.stdout + run.stderr


def test_sigterm_with_probes_in_flight_exits_zero_within_two_seconds():
    with run_exporter("--demo", "--aggregation.interval", "1s") as exporter:
        # The slow demo provider answers after 1.5 s, so a probe is almost always in flight; wait for one.
        wait_until(lambda: "demo-slow" in exporter.metrics(), 10, what="demo metrics")
        time.sleep(0.5)
        started = time.monotonic()
        exporter.proc.send_signal(signal.SIGTERM)
        code = exporter.proc.wait(timeout=5)
        elapsed = time.monotonic() - started
        assert code == 0, exporter.log()
        assert elapsed < 2.0, f"took {elapsed:.2f}s"


class EchoingProvider(BaseHTTPRequestHandler):
    """A provider that rejects the key and echoes it back in the error, as some real providers do."""
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = json.dumps({"error": {"message": f"Incorrect API key provided: {self.headers.get('Authorization')}"}}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_api_key_appears_nowhere():
    server = ThreadingHTTPServer(("127.0.0.1", 0), EchoingProvider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = write(tmp, "config.yml", (
                "global:\n  interval: 1s\n  timeout: 900ms\n  jitter: 100ms\n"
                "providers:\n"
                "  - name: leaky\n    kind: openai\n"
                f"    base_url: http://127.0.0.1:{server.server_address[1]}/v1\n"
                "    api_key_env: CANARY_KEY\n"
                "    models: ['m\"1', 'weird\\model', \"ünïcødé ✓\"]\n"
            ))
            with run_exporter("--config.file", config, "--aggregation.interval", "1s", "--log.level", "debug",
                              env={"CANARY_KEY": CANARY}) as exporter:
                wait_until(lambda: 'provider_status{provider="leaky",status="unauthorized"} 1' in exporter.metrics(), 15,
                           what="leaky provider unauthorized")
                text = exporter.metrics()
                models = {s.labels["model"] for f in parse_text(text) if f.name == "model_availability" for s in f.samples}
                assert models == {'m"1', "weird\\model", "ünïcødé ✓"}
                for path in ["/metrics", "/-/healthy", "/-/ready", "/does-not-exist"]:
                    assert CANARY not in exporter.get(path)[2].decode()
                exporter.proc.send_signal(signal.SIGTERM)
                exporter.proc.wait(timeout=5)
                log = exporter.log()
                assert "leaky" in log
                assert CANARY not in log
                assert CANARY[3:] not in log
    finally:
        server.shutdown()


def test_shards_split_the_providers_without_overlap():
    watched = []
    for shard in ["0/2", "1/2"]:
        with run_exporter("--demo", "--aggregation.interval", "1s", "--history.path", ":memory:", "--shard", shard) as exporter:
            text = exporter.metrics()
            watched.append({s.labels["provider"] for f in parse_text(text) if f.name == "provider_health_score" for s in f.samples})
    assert watched[0].isdisjoint(watched[1])
    assert watched[0] | watched[1] == {"demo-healthy", "demo-slow", "demo-flaky", "demo-ratelimited", "demo-unauthorized", "demo-down"}
