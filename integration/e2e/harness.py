"""Shared helpers for the end-to-end tests: run the exporter binary, wait for it, fetch from it."""
import gzip
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from contextlib import contextmanager

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def exporter_bin():
    path = os.environ.get("EXPORTER_BIN", os.path.join(ROOT, ".build", "debug", "provider-health-exporter"))
    if not os.access(path, os.X_OK):
        pytest.fail(f"exporter binary not found at {path}: build it (swift build) or set EXPORTER_BIN")
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, headers=None, timeout=5):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def wait_until(predicate, timeout, interval=0.2, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except (OSError, urllib.error.URLError) as e:  # not listening yet
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


class Exporter:
    def __init__(self, proc, port, log_path):
        self.proc = proc
        self.port = port
        self.log_path = log_path
        self.base = f"http://127.0.0.1:{port}"

    def get(self, path, headers=None):
        return http_get(self.base + path, headers)

    def metrics(self, headers=None):
        status, hdrs, body = self.get("/metrics", headers)
        assert status == 200, body
        if hdrs.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        return body.decode()

    def log(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()


@contextmanager
def run_exporter(*args, env=None, ready=True):
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="exporter-", suffix=".log", delete=False)
    cmd = [exporter_bin(), "--web.listen-address", f"127.0.0.1:{port}", *args]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
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
