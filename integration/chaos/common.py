"""What the soak and truth drivers share: running the exporter binary, HTTP on loopback, reading /metrics."""
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def default_binary():
    for variable in ("EXPORTER_BIN", "RELEASE_BIN"):
        if os.environ.get(variable):
            return os.environ[variable]
    return os.path.join(ROOT, ".build", "release", "provider-health-exporter")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, interval=0.2, what="condition", log=None):
    """Polls predicate until it returns something true (returned) or timeout seconds pass (AssertionError naming
    what was awaited, the last answer or error, and log() when given). Connection errors count as "not yet"."""
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
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})"
                         + (f"\n--- log\n{log()}" if log else ""))


def request(url, method="GET", body=None, headers=None, timeout=10):
    """(status, lower-cased headers, body); HTTP errors are answers too."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def get_json(url, timeout=10):
    status, _, body = request(url, timeout=timeout)
    return status, json.loads(body)


class ExporterProcess:
    """The exporter binary on 127.0.0.1:<free port>, its output in `log_path`."""

    def __init__(self, binary, args, log_path, env=None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = open(log_path, "ab")
        cmd = [binary, "--web.listen-address", f"127.0.0.1:{self.port}", *args]
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"exporter exited with {self.proc.returncode}; log: {self.log_path}")
            try:
                if request(self.base + "/-/ready", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"exporter not ready after {timeout}s; log: {self.log_path}")

    def get(self, path, headers=None, timeout=10):
        return request(self.base + path, headers=headers, timeout=timeout)

    def post(self, path, body=b"", headers=None, timeout=10):
        return request(self.base + path, "POST", body, headers, timeout)

    def json(self, path, timeout=10):
        return get_json(self.base + path, timeout)

    def rss_bytes(self):
        """Resident set size from /proc, None once the process is gone."""
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            return None
        return None

    def stop(self, timeout=10):
        """SIGTERM and wait; returns (exit code, seconds it took). SIGKILL if it does not stop in time."""
        if not self.alive():
            self._log.close()
            return self.proc.returncode, 0.0
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self._log.close()
        return code, time.monotonic() - started

    def kill(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait()
        self._log.close()


def parse_samples(text):
    """{(name, frozenset(labels)): value} of a text exposition (prometheus_client's parser)."""
    from prometheus_client.parser import text_string_to_metric_families
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples


def sample(samples, name, **labels):
    want = set(labels.items())
    for (n, labelset), value in samples.items():
        if n == name and want <= labelset:
            return value
    return None


def histogram_quantile(q, buckets):
    """Prometheus' histogram_quantile over [(upper bound, cumulative count)], +Inf last."""
    buckets = sorted(buckets, key=lambda b: b[0])
    total = buckets[-1][1]
    if total <= 0:
        return None
    rank = q * total
    lower, below = 0.0, 0.0
    for upper, count in buckets:
        if count >= rank:
            if upper == float("inf"):
                return lower
            if count == below:
                return upper
            return lower + (upper - lower) * (rank - below) / (count - below)
        lower, below = upper, count
    return lower


def histogram_buckets(samples, name, **labels):
    """[(le, cumulative count)] of one histogram series."""
    out = []
    want = set(labels.items())
    for (n, labelset), value in samples.items():
        if n == name + "_bucket" and want <= labelset:
            out.append((float(dict(labelset)["le"]), value))
    return sorted(out)


class Report:
    """Named checks of a run: each with its pass/fail, the value seen and the bound it was held to."""

    def __init__(self):
        self.checks = []

    def check(self, name, ok, value, bound):
        self.checks.append((name, bool(ok), value, bound))
        return ok

    def passed(self):
        return all(ok for _, ok, _, _ in self.checks)

    def print(self):
        width = max(len(c[0]) for c in self.checks)
        for name, ok, value, bound in self.checks:
            print(f"  {'PASS' if ok else 'FAIL'}  {name:<{width}}  {value}   (bound: {bound})")
