"""Shared helpers for the end-to-end tests: run the exporter binary, wait for it, fetch from it."""
import gzip
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import json
import shutil
import urllib.parse
import urllib.request
from contextlib import contextmanager

import pytest

# The status each demo provider shows once probed: one provider per behaviour.
DEMO_STATUSES = {
    "demo-healthy": "healthy",
    "demo-slow": "degraded",
    "demo-flaky": "degraded",
    "demo-ratelimited": "rate_limited",
    "demo-unauthorized": "unauthorized",
    "demo-down": "down",
}

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "integration", "chaos"))

from common import free_port, request, wait_until  # noqa: E402


def http_get(url, headers=None, timeout=5):
    return request(url, headers=headers, timeout=timeout)


def http_request(url, method="GET", body=None, headers=None, timeout=30):
    return request(url, method=method, body=body, headers=headers, timeout=timeout)


def exporter_bin():
    path = os.environ.get("EXPORTER_BIN", os.path.join(ROOT, ".build", "debug", "provider-health-exporter"))
    if not os.access(path, os.X_OK):
        pytest.fail(f"exporter binary not found at {path}: build it (swift build) or set EXPORTER_BIN")
    return path


class Exporter:
    def __init__(self, proc, port, log_path):
        self.proc = proc
        self.port = port
        self.log_path = log_path
        self.base = f"http://127.0.0.1:{port}"

    def get(self, path, headers=None):
        return http_get(self.base + path, headers)

    def post(self, path, body=b"", headers=None):
        return http_request(self.base + path, "POST", body, headers)

    def json(self, path):
        import json as _json
        status, _, body = self.get(path)
        return status, _json.loads(body)

    def metrics(self, headers=None):
        status, hdrs, body = self.get("/metrics", headers)
        assert status == 200, body
        if hdrs.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        return body.decode()

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()


def release_bin():
    """The release binary (RELEASE_BIN, as scripts/test.sh sets it) when there is one, else the debug one: for tests
    that measure latency or memory, where a debug build says little about the product."""
    path = os.environ.get("RELEASE_BIN")
    return path if path and os.access(path, os.X_OK) else exporter_bin()


def start_chaos_driver(script, *args):
    """Starts a driver of integration/chaos (soak.py, truth.py, ...) on the release binary. Its output goes to files,
    not pipes: a driver must never wait for the test to read it while the test waits for another."""
    stdout, stderr = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
    process = subprocess.Popen([sys.executable, os.path.join(ROOT, "integration", "chaos", script), "--binary",
                                release_bin(), *args], stdout=stdout, stderr=stderr, text=True)
    process.output = (stdout, stderr)
    return process


def finish_chaos_driver(process, script, timeout):
    """Waits for a driver, prints its summary and fails the test with it when the driver failed; returns stdout."""
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    stdout, stderr = (f.seek(0) or f.read() for f in process.output)
    if process.returncode is None or process.returncode < 0:
        pytest.fail(f"{script} did not finish in {timeout} s:\n{stdout[-6000:]}\n{stderr[-3000:]}")
    print(stdout)
    assert process.returncode == 0, f"{script} failed:\n{stdout[-6000:]}\n{stderr[-3000:]}"
    return stdout


@contextmanager
def run_exporter(*args, env=None, ready=True, binary=None, preexec_fn=None):
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="exporter-", suffix=".log", delete=False)
    cmd = [binary or exporter_bin(), "--web.listen-address", f"127.0.0.1:{port}", *args]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
                            preexec_fn=preexec_fn)
    exporter = Exporter(proc, port, log.name)
    try:
        wait_until(lambda: exporter.get("/-/healthy")[0] == 200 or proc.poll() is not None, 30, what="exporter to listen")
        if proc.poll() is not None:
            raise AssertionError(f"exporter exited with {proc.returncode}:\n{exporter.log()}")
        if ready:
            wait_until(lambda: exporter.get("/-/ready")[0] == 200, 30, what="first aggregation cycle")
        yield exporter
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        os.unlink(log.name)


class _FakeOpenAIHandler(__import__("http.server").server.BaseHTTPRequestHandler):
    """An OpenAI-compatible provider: GET /<anything>/models lists `models`; 401 when `key` is set and differs."""
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"
    models = ["gpt-test"]
    key = None

    def do_GET(self):
        import json as _json
        if self.key is not None and self.headers.get("Authorization") != f"Bearer {self.key}":
            status, body = 401, {"error": {"message": "Incorrect API key provided: " + str(self.headers.get("Authorization"))}}
        elif self.path.endswith("/models"):
            status, body = 200, {"object": "list", "data": [{"id": m} for m in self.models]}
        else:
            status, body = 404, {"error": "not found"}
        data = _json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@contextmanager
def fake_openai(models=("gpt-test",), key=None):
    """Serves a fake OpenAI-compatible provider on 127.0.0.1; yields its base URL (…/v1)."""
    import threading
    from http.server import ThreadingHTTPServer
    handler = type("Handler", (_FakeOpenAIHandler,), {"models": list(models), "key": key})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def metric_value(text, name, **labels):
    """The value of one sample in a text exposition, or None."""
    from prometheus_client.parser import text_string_to_metric_families
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return None


@contextmanager
def run_prometheus(config_text, workdir):
    """A real Prometheus on a free loopback port with this configuration and its TSDB in workdir; yields its base
    URL once it is ready, and stops it afterwards. Its log is workdir/prometheus.log."""
    prometheus = shutil.which("prometheus")
    if prometheus is None:
        pytest.fail("prometheus is not installed (apt-get install prometheus)")
    config = os.path.join(workdir, "prometheus.yml")
    with open(config, "w") as f:
        f.write(config_text)
    port = free_port()
    with open(os.path.join(workdir, "prometheus.log"), "w") as log:
        proc = subprocess.Popen([prometheus, f"--config.file={config}", f"--storage.tsdb.path={workdir}/data",
                                 f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: http_get(base + "/-/ready")[0] == 200, 30, what="prometheus ready")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def prometheus_query(base, expr):
    """The result vector of an instant query."""
    status, _, body = http_get(f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
    assert status == 200, body
    return json.loads(body)["data"]["result"]
