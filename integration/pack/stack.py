"""A throwaway monitoring stack for the end-to-end pack tests.

Starts, in a temporary directory and on loopback ephemeral ports:
- one or more instances of the exporter binary ($EXPORTER_BIN, default .build/debug/provider-health-exporter),
  by default one in --demo mode; several instances are targets of one scrape job (an HA pair);
- a webhook receiver (a threading HTTP server in this process);
- Alertmanager (Debian's prometheus-alertmanager) with the shipped alertmanager.yml, its webhooks
  pointed at the receiver and its group waits shortened;
- Prometheus with the shipped prometheus.yml and rule files, targets rewritten to the ports above,
  1 s scrape/evaluation intervals and every alert's `for:` shortened (to 2 s unless the stack says otherwise).

A stack can also keep the shipped `for:` durations (`default_for=None`) and Alertmanager's shipped waits
(`shorten_alertmanager=False`), scrape at another interval (`interval`) and run another exporter binary (`binary`):
the long quota-pause run (integration/chaos/quota_pause.py) uses the shipped timings unchanged.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

from packpaths import REPO_ROOT

EXPORTER_JOB = "provider-health-exporter"
# Statuses the demo providers settle in (the contract of --demo); Prometheus starts once two of them
# have, so that start-up values (no probe answered yet) do not look like outages to the shortened rules.
DEMO_SETTLED = {"demo-healthy": "healthy", "demo-down": "down"}
DEFAULT_EXPORTER_BIN = ".build/debug/provider-health-exporter"
TEST_FOR = "2s"


class StackStartError(Exception):
    """The stack could not start; the message says why and what to do."""


def require_running(stack) -> "Stack":
    """Fail the calling test (never skip it) when the stack could not start."""
    import pytest

    if isinstance(stack, StackStartError):
        pytest.fail(str(stack), pytrace=False)
    return stack


def wait_for(predicate, timeout: float, interval: float = 0.5):
    """Polls `predicate` until it returns something truthy or `timeout` passes; returns its last result."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result or time.monotonic() >= deadline:
            return result
        time.sleep(interval)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def exporter_binary() -> Path:
    raw = os.environ.get("EXPORTER_BIN", DEFAULT_EXPORTER_BIN)
    path = Path(raw)
    return path if path.is_absolute() else REPO_ROOT / path


def http_get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


_SAMPLE_RE = re.compile(r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})?\s+(?P<value>\S+)')
_LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    """The samples of one metric in a Prometheus text exposition."""
    out = []
    for line in text.splitlines():
        m = _SAMPLE_RE.match(line)
        if m and m.group("name") == name:
            out.append((dict(_LABEL_RE.findall(m.group("labels") or "")), float(m.group("value"))))
    return out


def demo_statuses(metrics: str) -> dict[str, str]:
    """Current status of every provider in an exposition (the status whose provider_status is 1)."""
    return {labels.get("provider"): labels.get("status")
            for labels, value in parse_samples(metrics, "provider_status") if value == 1}


def demo_settled(metrics: str) -> bool:
    return settled(metrics, DEMO_SETTLED)


def settled(metrics: str, expected: dict[str, str]) -> bool:
    current = demo_statuses(metrics)
    return all(current.get(p) == status for p, status in expected.items())


@dataclass
class ExporterSpec:
    """One exporter instance: a name (logs, kill_exporter) and its arguments besides --web.listen-address."""

    name: str
    args: list[str]
    addr: str = ""


def demo_exporter(name: str = "exporter") -> ExporterSpec:
    return ExporterSpec(name, ["--demo", "--aggregation.interval", "2s"])


# --------------------------------------------------------------------------- webhook receiver

class _WebhookHandler(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802 (http.server API)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        try:
            payload = json.loads(body)
        except ValueError:
            payload = {"unparsable": body.decode(errors="replace")}
        self.server.record(self.path, payload)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args):  # keep test output clean
        pass


class WebhookReceiver(ThreadingHTTPServer):
    """Collects every Alertmanager webhook notification as (path, payload)."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _WebhookHandler)
        self._lock = threading.Lock()
        self._received: list[tuple[float, str, dict]] = []  # (time.monotonic(), path, payload)
        self._thread = threading.Thread(target=self.serve_forever, name="webhook-receiver", daemon=True)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def record(self, path: str, payload: dict) -> None:
        with self._lock:
            self._received.append((time.monotonic(), path, payload))

    def notifications(self) -> list[tuple[str, dict]]:
        with self._lock:
            return [(path, payload) for _, path, payload in self._received]

    def alerts(self) -> list[tuple[str, dict]]:
        """Every alert of every notification, with the path (receiver) it was sent to."""
        return [(path, alert) for path, payload in self.notifications() for alert in payload.get("alerts", [])]

    def timed_alerts(self) -> list[tuple[float, str, dict]]:
        """Every alert of every notification with the time.monotonic() it arrived and the path it was sent to."""
        with self._lock:
            received = list(self._received)
        return [(at, path, alert) for at, path, payload in received for alert in payload.get("alerts", [])]


# --------------------------------------------------------------------------- config rewriting

def prometheus_test_config(workdir: Path, exporters: list[str], prometheus: str, alertmanager: str,
                           for_durations: dict[str, str] | None = None, interval: str = "1s",
                           default_for: str | None = TEST_FOR) -> Path:
    """Write the shipped prometheus.yml, and its rule files, adapted to the test ports.

    Every exporter address is a target of the exporter job; scrapes and rule evaluations every `interval`. Each
    alert's `for:` becomes for_durations[alertname], or `default_for` (None: the shipped one).
    """
    cfg = yaml.safe_load((REPO_ROOT / "prometheus.yml").read_text())
    cfg.setdefault("global", {}).update(scrape_interval=interval, scrape_timeout=interval, evaluation_interval=interval)
    jobs = {sc["job_name"] for sc in cfg["scrape_configs"]}
    if EXPORTER_JOB not in jobs:
        raise StackStartError(f"prometheus.yml has no job named {EXPORTER_JOB}")
    for sc in cfg["scrape_configs"]:
        targets = {EXPORTER_JOB: exporters, "prometheus": [prometheus]}.get(sc["job_name"])
        if targets is None:
            raise StackStartError(f"prometheus.yml job {sc['job_name']} has no loopback equivalent in the test")
        sc["static_configs"] = [{"targets": targets}]
    cfg["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]}
    rule_files = []
    for rel in cfg.get("rule_files", []):
        doc = yaml.safe_load((REPO_ROOT / rel).read_text())
        for group in doc["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    duration = (for_durations or {}).get(rule["alert"], default_for)
                    if duration is not None:
                        rule["for"] = duration
        out = workdir / Path(rel).name
        out.write_text(yaml.safe_dump(doc, sort_keys=False))
        rule_files.append(str(out))
    cfg["rule_files"] = rule_files
    path = workdir / "prometheus.yml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def _shorten_route(route: dict, top: bool = True) -> None:
    """Short waits on the top route; children inherit them."""
    for key in ("group_wait", "group_interval", "repeat_interval"):
        route.pop(key, None)
    if top:
        route.update(group_wait="1s", group_interval="1s", repeat_interval="1m")
    for child in route.get("routes", []) or []:
        _shorten_route(child, top=False)


def alertmanager_test_config(workdir: Path, receiver_port: int, shorten: bool = True) -> Path:
    """Write the shipped alertmanager.yml with every webhook sent to the test receiver (and, with `shorten`, its
    group waits shortened)."""
    cfg = yaml.safe_load((REPO_ROOT / "alertmanager.yml").read_text())
    if shorten:
        _shorten_route(cfg["route"])
    for receiver in cfg["receivers"]:
        for hook in receiver.get("webhook_configs", []) or []:
            hook["url"] = f"http://127.0.0.1:{receiver_port}/{receiver['name']}"
    path = workdir / "alertmanager.yml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


# --------------------------------------------------------------------------- the stack

# The bearer token every exporter of the stack requires for POST /api/v1/outcomes.
INGEST_TOKEN = "stack-ingest-token"

class Stack:
    """The stack. `exporters` default to one demo instance; `expected` is the {provider: status} every instance
    must report before Prometheus starts; `for_durations` overrides the shortened `for:` of single alerts;
    `traffic` (passive outcomes) is posted to every live instance every 2 s, so that traffic series exist;
    `interval`, `default_for`, `shorten_alertmanager` and `binary`: see the module's docstring."""

    def __init__(self, workdir: Path, exporters: list[ExporterSpec] | None = None,
                 expected: dict[str, str] | None = None, for_durations: dict[str, str] | None = None,
                 traffic: list[dict] | None = None, settle_timeout: float = 45, interval: str = "1s",
                 default_for: str | None = TEST_FOR, shorten_alertmanager: bool = True,
                 binary: str | Path | None = None):
        self.workdir = Path(workdir)
        self.exporters = exporters or [demo_exporter()]
        self.expected = DEMO_SETTLED if expected is None else expected
        self.for_durations = for_durations or {}
        self.traffic = traffic or []
        self.settle_timeout = settle_timeout
        self.interval = interval
        self.default_for = default_for
        self.shorten_alertmanager = shorten_alertmanager
        self.binary = binary
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}
        self.receiver: WebhookReceiver | None = None
        self.prometheus_addr = self.alertmanager_addr = ""
        self.started_at = 0.0
        self.ready_at = 0.0
        self.killed: set[str] = set()
        self._stop_traffic = threading.Event()
        self._traffic_thread: threading.Thread | None = None

    @property
    def exporter_addr(self) -> str:
        """The address of the first exporter instance."""
        return self.exporters[0].addr

    # ---- lifecycle

    def start(self) -> None:
        self.started_at = time.monotonic()
        self.workdir.mkdir(parents=True, exist_ok=True)
        binary = Path(self.binary) if self.binary else exporter_binary()
        if not (binary.is_file() and os.access(binary, os.X_OK)):
            raise StackStartError(
                f"exporter binary not found at {binary}: build it with `swift build --product "
                f"provider-health-exporter` or point EXPORTER_BIN at it")
        prometheus = shutil.which("prometheus")
        alertmanager = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
        if not prometheus or not alertmanager:
            raise StackStartError("prometheus and prometheus-alertmanager must be installed "
                                  "(apt-get install -y prometheus prometheus-alertmanager, or scripts/check-pack.sh)")

        self.receiver = WebhookReceiver()
        self.receiver.start()

        for spec in self.exporters:
            spec.addr = f"127.0.0.1:{free_port()}"
        self.prometheus_addr = f"127.0.0.1:{free_port()}"
        self.alertmanager_addr = f"127.0.0.1:{free_port()}"

        am_dir = self.workdir / "alertmanager"
        am_dir.mkdir()
        am_cfg = alertmanager_test_config(self.workdir, self.receiver.port, self.shorten_alertmanager)
        self._spawn("alertmanager", [alertmanager, f"--config.file={am_cfg}", f"--storage.path={am_dir}",
                                     f"--web.listen-address={self.alertmanager_addr}",
                                     "--cluster.listen-address=", "--log.level=warn"])

        # Writes are closed by default: the traffic is posted with an ingest token, as a gateway does.
        token_file = self.workdir / "ingest-token"
        token_file.write_text(INGEST_TOKEN + "\n")
        for spec in self.exporters:
            ex_dir = self.workdir / spec.name
            ex_dir.mkdir()
            self._spawn(spec.name, [str(binary), *spec.args, "--web.ingest-token-file", str(token_file),
                                    "--web.listen-address", spec.addr], cwd=ex_dir)

        self._wait("alertmanager", f"http://{self.alertmanager_addr}/-/ready", lambda code, _: code == 200)
        for spec in self.exporters:
            self._wait(spec.name, f"http://{spec.addr}/metrics",
                       lambda code, body: code == 200 and settled(body.decode(errors="replace"), self.expected),
                       timeout=self.settle_timeout,
                       unready=lambda body: f"providers not yet {self.expected}; current statuses "
                                            f"{demo_statuses(body.decode(errors='replace'))}")
        if self.traffic:
            self._traffic_thread = threading.Thread(target=self._post_traffic, name="traffic", daemon=True)
            self._traffic_thread.start()

        prom_cfg = prometheus_test_config(self.workdir, [spec.addr for spec in self.exporters],
                                          self.prometheus_addr, self.alertmanager_addr, self.for_durations,
                                          self.interval, self.default_for)
        self._spawn("prometheus", [prometheus, f"--config.file={prom_cfg}",
                                   f"--storage.tsdb.path={self.workdir / 'tsdb'}",
                                   f"--web.listen-address={self.prometheus_addr}", "--log.level=warn"])
        self._wait("prometheus", f"http://{self.prometheus_addr}/-/ready", lambda code, _: code == 200)
        # The exporters' series are in Prometheus once a scrape of every instance has succeeded.
        want = len(self.exporters)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            self._check_alive()
            up = self.query(f'up{{job="{EXPORTER_JOB}"}} == 1')
            scraped = self.query(f'count by (instance) (provider_status{{job="{EXPORTER_JOB}"}})')
            if len(up) == want and len(scraped) == want:
                self.ready_at = time.monotonic()
                return
            time.sleep(0.3)
        raise StackStartError(f"Prometheus did not scrape all {want} exporter instance(s) within 20s\n"
                              + self.diagnostics())

    def kill_exporter(self, name: str) -> None:
        """Kill one exporter instance at once (SIGKILL, as a crash would); Prometheus keeps its target."""
        proc = self.procs[name]
        self.killed.add(name)
        proc.kill()
        proc.wait(timeout=10)

    def post_outcomes(self, addr: str, outcomes: list[dict]) -> int:
        """POST passive outcomes (NDJSON) to one exporter instance; returns the HTTP status."""
        body = "\n".join(json.dumps(o) for o in outcomes).encode()
        request = urllib.request.Request(f"http://{addr}/api/v1/outcomes", data=body, method="POST",
                                         headers={"Content-Type": "application/x-ndjson",
                                                  "Authorization": f"Bearer {INGEST_TOKEN}"})
        try:
            with urllib.request.urlopen(request, timeout=5) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    def _post_traffic(self) -> None:
        rng = random.Random(7)
        while True:
            for spec in self.exporters:
                if spec.name in self.killed:
                    continue
                batch = [dict(o, latency_seconds=round(o.get("latency_seconds", 0.5) * rng.uniform(0.8, 1.2), 3))
                         for o in self.traffic]
                try:
                    self.post_outcomes(spec.addr, batch)
                except OSError:
                    pass
            if self._stop_traffic.wait(2.0):
                return

    def stop(self) -> None:
        self._stop_traffic.set()
        if self._traffic_thread is not None:
            self._traffic_thread.join(timeout=10)
        for name, proc in reversed(list(self.procs.items())):
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        self.procs.clear()
        if self.receiver is not None:
            self.receiver.stop()
            self.receiver = None

    def _spawn(self, name: str, argv: list[str], cwd: Path | None = None) -> None:
        log = self.workdir / f"{name}.log"
        self.logs[name] = log
        with open(log, "wb") as out:
            self.procs[name] = subprocess.Popen(argv, cwd=cwd or self.workdir, stdout=out,
                                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def _check_alive(self) -> None:
        for name, proc in self.procs.items():
            if name not in self.killed and proc.poll() is not None:
                raise StackStartError(f"{name} exited with code {proc.returncode}\n" + self.log_tail(name))

    def _wait(self, name: str, url: str, ready, timeout: float = 30, unready=None) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                code, body = http_get(url, timeout=2)
                if ready(code, body):
                    return
                last = f"HTTP {code}"
                if code == 200 and unready is not None:
                    last += ": " + unready(body)
            except OSError as e:
                last = str(e)
            time.sleep(0.2)
        raise StackStartError(f"{name} not ready at {url} within {timeout}s ({last})\n" + self.log_tail(name))

    # ---- diagnostics

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.logs.get(name)
        if not path or not path.exists():
            return f"[{name}: no log]"
        text = path.read_text(errors="replace").splitlines()[-lines:]
        return f"--- last lines of {name}.log ---\n" + "\n".join(text)

    def diagnostics(self) -> str:
        return "\n".join(self.log_tail(n) for n in self.procs)

    # ---- Prometheus HTTP API

    def api(self, path: str, **params) -> dict:
        """GET a Prometheus API path; raises PromQLError on a 4xx/5xx answer."""
        query = urllib.parse.urlencode(params, doseq=True)
        code, body = http_get(f"http://{self.prometheus_addr}{path}?{query}", timeout=10)
        doc = json.loads(body)
        if code != 200 or doc.get("status") != "success":
            raise PromQLError(f"{path} {params}: HTTP {code}: {doc.get('errorType')}: {doc.get('error')}")
        return doc["data"]

    def query(self, expr: str) -> list:
        return self.api("/api/v1/query", query=expr)["result"]

    def query_range(self, expr: str, seconds: float, step: str = "1s") -> list:
        end = time.time()
        return self.api("/api/v1/query_range", query=expr, start=end - seconds, end=end, step=step)["result"]

    def alerts(self) -> list[dict]:
        return self.api("/api/v1/alerts")["alerts"]

    def alertmanager_alerts(self) -> list[dict]:
        """Alertmanager's alerts, each with status.state (active, suppressed) and status.inhibitedBy."""
        code, body = http_get(f"http://{self.alertmanager_addr}/api/v2/alerts", timeout=10)
        if code != 200:
            raise PromQLError(f"Alertmanager /api/v2/alerts: HTTP {code}: {body[:200]!r}")
        return json.loads(body)

    def rules(self) -> list[dict]:
        return [r for g in self.api("/api/v1/rules")["groups"] for r in g["rules"]]


class PromQLError(Exception):
    """Prometheus refused a query (it does not parse, or failed to evaluate)."""
