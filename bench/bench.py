#!/usr/bin/env python3
"""Runs every benchmark of the exporter beside its peers and prints one table with the targets.

Called by bench/run.sh after the release build. Everything runs on this machine in this one run:
/metrics throughput (exporter, Go and Python peers, nginx serving the exporter's own bytes), aggregation,
ingest, probe overhead and resident memory. `--smoke` shrinks every duration so the whole thing takes
well under a minute (numbers are then only a check that each measurement still works).
"""
import argparse
import gzip
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(REPO, "bench")
RELEASE = os.path.join(REPO, ".build", "release")
EXPORTER = os.path.join(RELEASE, "provider-health-exporter")
SIZES = [(20, 10), (100, 50)]
RSS_SIZES = [(20, 10), (100, 50), (1000, 20)]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Process:
    """A background process started for a measurement, stopped by its own pid only."""

    def __init__(self, argv, cwd=None, env=None):
        self.argv = argv
        self.log = tempfile.TemporaryFile()
        self.popen = subprocess.Popen(argv, cwd=cwd, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                      start_new_session=True)

    @property
    def pid(self):
        return self.popen.pid

    def rss_kib(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return None

    def output(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-2000:]

    def stop(self):
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()


def http_get(url, headers=None, timeout=60):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, response.read()


def wait_http(url, process, timeout, want=200):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.popen.poll() is not None:
            raise RuntimeError(f"{process.argv[0]} exited: {process.output()}")
        try:
            status, _ = http_get(url, timeout=30)
            if status == want:
                return
        except Exception:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {timeout} s: {process.output()}")


def start_exporter(providers, models, interval, extra=()):
    port = free_port()
    process = Process([EXPORTER, "--demo", "--demo.providers", str(providers), "--demo.models", str(models),
                       "--aggregation.interval", interval, "--history.path", ":memory:", "--log.level", "warn",
                       "--web.listen-address", f"127.0.0.1:{port}", *extra])
    return process, f"http://127.0.0.1:{port}"


def start_go(go_binary, providers, models):
    port = free_port()
    return Process([go_binary, "--port", str(port), "--providers", str(providers), "--models", str(models)]), \
        f"http://127.0.0.1:{port}"


def start_python(peers, providers, models):
    port = free_port()
    return Process([sys.executable, os.path.join(peers, "python_peer.py"), "--port", str(port),
                    "--providers", str(providers), "--models", str(models)]), f"http://127.0.0.1:{port}"


def start_nginx(workdir, plain, gzipped):
    """nginx serving the exporter's /metrics bytes from a file; gzip_static picks the .gz copy."""
    port = free_port()
    root = os.path.join(workdir, f"nginx-{port}")
    os.makedirs(root)
    # nginx workers may run as an unprivileged user: they must be able to read the files.
    os.chmod(workdir, 0o755)
    os.chmod(root, 0o755)
    with open(os.path.join(root, "metrics"), "wb") as f:
        f.write(plain)
    with open(os.path.join(root, "metrics.gz"), "wb") as f:
        f.write(gzipped)
    conf = os.path.join(root, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""
worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path {root};
    proxy_temp_path {root};
    fastcgi_temp_path {root};
    uwsgi_temp_path {root};
    scgi_temp_path {root};
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location = /metrics {{
            default_type "text/plain; version=0.0.4; charset=utf-8";
            gzip_static on;
        }}
    }}
}}
""")
    process = Process(["nginx", "-c", conf, "-p", root])
    return process, f"http://127.0.0.1:{port}"


def wrk(url, duration, connections=16, threads=2, headers=(), timeout="30s", env=None):
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}", "--timeout", timeout,
            "-s", os.path.join(BENCH, "wrk-report.lua")]
    for header in headers:
        argv += ["-H", header]
    argv.append(url)
    run = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, **(env or {})})
    match = re.search(r"WRK_RESULT (.*)", run.stdout)
    if not match:
        raise RuntimeError(f"wrk failed: {run.stdout}\n{run.stderr}")
    values = {k: int(v) for k, v in (pair.split("=") for pair in match.group(1).split())}
    seconds = values["duration_us"] / 1e6
    values["rps"] = values["requests"] / seconds
    values["mbps"] = values["bytes"] / seconds / 1e6
    values["ok_rps"] = (values["requests"] - values["status_errors"]) / seconds
    return values


def fmt_int(x):
    return f"{x:,.0f}"


def fmt_rate(x):
    return f"{x:,.0f}" if x >= 100 else f"{x:,.1f}" if x >= 1 else f"{x:.2f}"


def fmt_bytes(n):
    return f"{n / 1e6:.2f} MB" if n >= 1e6 else f"{n / 1e3:.1f} KB"


def fmt_ms(us):
    return f"{us / 1000:.2f} ms" if us < 1e6 else f"{us / 1e6:.2f} s"


class Table:
    def __init__(self):
        self.rows = []
        self.targets = []

    def add(self, area, subject, size, value, details, target="", verdict=""):
        self.rows.append((area, subject, size, value, details, target, verdict))

    def check(self, name, ok, measured):
        self.targets.append((name, measured, "PASS" if ok else "MISS"))
        return "PASS" if ok else "MISS"

    def print(self):
        header = ("area", "subject", "size", "value", "details", "target / ratio", "verdict")
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for row in self.rows:
            lines.append("| " + " | ".join(str(c) for c in row) + " |")
        passed = sum(1 for t in self.targets if t[2] == "PASS")
        if self.targets:  # the http-server area compares two servers and has no target of its own
            lines.append(f"| **targets** | | | **{passed}/{len(self.targets)} PASS** | | | |")
        print("\n".join(lines), flush=True)


def metrics_throughput(args, table, peers, go_binary, workdir):
    duration = "2s" if args.smoke else "10s"
    interval = "1s" if args.smoke else "30s"  # the first cycle (readiness) waits one interval
    results = {}
    for providers, models in SIZES:
        size = f"{providers}×{models}"
        log(f"/metrics at {size}: exporter")
        exporter, base = start_exporter(providers, models, interval)
        try:
            wait_http(base + "/-/ready", exporter, timeout=120)
            _, plain = http_get(base + "/metrics")
            _, gzipped = http_get(base + "/metrics", {"Accept-Encoding": "gzip"})
            assert gzip.decompress(gzipped)[:20] == plain[:20], "gzip body does not match"
            results[("exporter", size, "plain")] = wrk(base + "/metrics", duration)
            results[("exporter", size, "gzip")] = wrk(base + "/metrics", duration, headers=["Accept-Encoding: gzip"])
        finally:
            exporter.stop()
        results[("exporter", size, "bytes")] = (len(plain), len(gzipped))

        log(f"/metrics at {size}: nginx")
        nginx, base = start_nginx(workdir, plain, gzipped)
        try:
            wait_http(base + "/metrics", nginx, timeout=20)
            results[("nginx", size, "plain")] = wrk(base + "/metrics", duration)
            results[("nginx", size, "gzip")] = wrk(base + "/metrics", duration, headers=["Accept-Encoding: gzip"])
        finally:
            nginx.stop()

        for name, start in (("go", lambda: start_go(go_binary, providers, models)),
                            ("python", lambda: start_python(peers, providers, models))):
            log(f"/metrics at {size}: {name} peer")
            process, base = start()
            try:
                wait_http(base + "/metrics", process, timeout=120)
                results[(name, size, "plain")] = wrk(base + "/metrics", duration)
                results[(name, size, "gzip")] = wrk(base + "/metrics", duration, headers=["Accept-Encoding: gzip"])
            finally:
                process.stop()

        for encoding in ("plain", "gzip"):
            mine = results[("exporter", size, encoding)]
            go = results[("go", size, encoding)]
            py = results[("python", size, encoding)]
            ng = results[("nginx", size, encoding)]
            for name, r in (("nginx static (exporter bytes)", ng), ("go peer", go), ("python peer", py)):
                table.add("/metrics", name, size, f"{fmt_rate(r['rps'])} req/s",
                          f"{encoding}, body {fmt_bytes(r['bytes'] / max(1, r['requests']))}, "
                          f"{r['mbps']:,.1f} MB/s, p99 {fmt_ms(r['p99_us'])}"
                          + (f", {r['status_errors'] + r['socket_errors']} errors" if r['status_errors'] + r['socket_errors'] else ""))
            # A peer that completed no request in the run did less than one per run: use that as its rate,
            # so the ratio is a lower bound (marked ≥) instead of a division by zero.
            def rate(r):
                return r["rps"] if r["requests"] else 1e6 / r["duration_us"]
            bound = lambda r: "≥" if not r["requests"] else ""
            vs_go = mine["rps"] / rate(go)
            vs_py = mine["rps"] / rate(py)
            vs_nginx = mine["rps"] / max(ng["rps"], 1e-9)
            verdicts = [
                table.check(f"/metrics {size} {encoding} ≥ 20× go", vs_go >= 20, f"{bound(go)}{vs_go:,.1f}×"),
                table.check(f"/metrics {size} {encoding} ≥ 300× python", vs_py >= 300, f"{bound(py)}{vs_py:,.0f}×"),
                table.check(f"/metrics {size} {encoding} ≥ 80 % nginx", vs_nginx >= 0.8, f"{vs_nginx * 100:.0f} %"),
            ]
            target = (f"{bound(go)}{vs_go:,.1f}× go (≥20×), {bound(py)}{vs_py:,.0f}× python (≥300×), "
                      f"{vs_nginx * 100:.0f} % of nginx (≥80 %)")
            if encoding == "gzip":
                plain_rps = results[("exporter", size, "plain")]["rps"]
                ratio = mine["rps"] / plain_rps
                verdicts.append(table.check(f"/metrics {size} gzip within 10 % of plain", ratio >= 0.9,
                                            f"{ratio * 100:.0f} %"))
                target += f"; {ratio * 100:.0f} % of plain (≥90 %)"
            table.add("/metrics", "**exporter**", size, f"**{fmt_rate(mine['rps'])} req/s**",
                      f"{encoding}, body {fmt_bytes(mine['bytes'] / max(1, mine['requests']))}, "
                      f"{mine['mbps']:,.1f} MB/s, p99 {fmt_ms(mine['p99_us'])}",
                      target, "PASS" if all(v == "PASS" for v in verdicts) else "MISS")
    return results


HTTP_SERVER_BENCH = os.path.join(BENCH, "http-server", ".build", "release")
HTTP_SERVERS = [("hand-written (ExporterServer)", "metrics-server-nio"), ("Hummingbird 2", "metrics-server-hummingbird")]
OPENMETRICS_ACCEPT = "application/openmetrics-text;version=1.0.0"


def http_server_comparison(args, table, workdir):
    """The exporter's HTTP server against Hummingbird 2 on /metrics: both serve the four bodies of one exporter
    snapshot with the exporter's negotiation (bench/http-server). Servers alternate within each repeat so that the
    machine's other load falls on both; the table shows medians."""
    duration = "2s" if args.smoke else "10s"
    repeats = 1 if args.smoke else args.http_repeats
    for _, binary in HTTP_SERVERS:
        if not os.path.exists(os.path.join(HTTP_SERVER_BENCH, binary)):
            raise RuntimeError(f"{binary} not built: bench/run.sh --only http-server builds bench/http-server")
    for providers, models in SIZES:
        size = f"{providers}×{models}"
        bodies = os.path.join(workdir, f"bodies-{providers}x{models}")
        os.makedirs(bodies)
        log(f"http servers at {size}: the exporter's bodies")
        exporter, base = start_exporter(providers, models, "1s" if args.smoke else "30s")
        try:
            wait_http(base + "/-/ready", exporter, timeout=120)
            variants = {"text": {}, "text.gz": {"Accept-Encoding": "gzip"}, "openmetrics": {"Accept": OPENMETRICS_ACCEPT},
                        "openmetrics.gz": {"Accept": OPENMETRICS_ACCEPT, "Accept-Encoding": "gzip"}}
            for name, headers in variants.items():
                with open(os.path.join(bodies, name), "wb") as f:
                    f.write(http_get(base + "/metrics", headers)[1])
        finally:
            exporter.stop()
        runs = {(name, encoding): [] for name, _ in HTTP_SERVERS for encoding in ("plain", "gzip")}
        rss = {name: [] for name, _ in HTTP_SERVERS}
        for repeat in range(repeats):
            order = HTTP_SERVERS if repeat % 2 == 0 else HTTP_SERVERS[::-1]
            for name, binary in order:
                log(f"http servers at {size}: {name}, run {repeat + 1}/{repeats}, load {os.getloadavg()[0]:.2f}")
                port = free_port()
                process = Process([os.path.join(HTTP_SERVER_BENCH, binary), "--port", str(port), "--bodies", bodies])
                url = f"http://127.0.0.1:{port}"
                try:
                    wait_http(url + "/-/healthy", process, timeout=20)
                    for variant, headers in variants.items():
                        with open(os.path.join(bodies, variant), "rb") as f:
                            assert http_get(url + "/metrics", headers)[1] == f.read(), f"{name}: {variant} differs"
                    runs[(name, "plain")].append(wrk(url + "/metrics", duration))
                    runs[(name, "gzip")].append(wrk(url + "/metrics", duration, headers=["Accept-Encoding: gzip"]))
                    rss[name].append(process.rss_kib())
                finally:
                    process.stop()
        median = lambda values: sorted(values)[len(values) // 2]
        reference = HTTP_SERVERS[0][0]
        for encoding in ("plain", "gzip"):
            base_rps = median([r["rps"] for r in runs[(reference, encoding)]])
            for name, _ in HTTP_SERVERS:
                rates = [r["rps"] for r in runs[(name, encoding)]]
                p99s = [r["p99_us"] for r in runs[(name, encoding)]]
                errors = sum(r["status_errors"] + r["socket_errors"] for r in runs[(name, encoding)])
                rps = median(rates)
                details = (f"{encoding}, median of {len(rates)} ({fmt_rate(min(rates))}–{fmt_rate(max(rates))}), "
                           f"p99 {fmt_ms(median(p99s))}, RSS {median(rss[name]) / 1024:,.1f} MiB"
                           + (f", {errors} errors" if errors else ""))
                target, verdict = "", ""
                if name != reference:
                    ratio = rps / base_rps
                    target = f"{ratio * 100:.0f} % of the hand-written server"
                    verdict = "within 5 %" if ratio >= 0.95 else "slower"
                table.add("http server", name, size, f"{fmt_rate(rps)} req/s", details, target, verdict)
    # Both binaries link ExporterServer and what it needs (Foundation among it), so the difference is Hummingbird's.
    sizes, stripped = [], []
    for _, binary in HTTP_SERVERS:
        path = os.path.join(HTTP_SERVER_BENCH, binary)
        sizes.append(os.path.getsize(path))
        copy = os.path.join(workdir, binary + ".stripped")
        subprocess.run(["strip", "-o", copy, path], check=True)
        stripped.append(os.path.getsize(copy))
    table.add("http server", "binary size (release, static stdlib)", "",
              " / ".join(f"{size / 1e6:.1f} MB" for size in sizes),
              " / ".join(binary for _, binary in HTTP_SERVERS)
              + "; stripped " + " / ".join(f"{size / 1e6:.1f} MB" for size in stripped),
              f"{(sizes[1] - sizes[0]) / 1e6:+.1f} MB with Hummingbird ({(stripped[1] - stripped[0]) / 1e6:+.1f} MB stripped)", "")


def aggregation(args, table, alloc_lib):
    log("aggregation")
    env = dict(os.environ)
    if alloc_lib:
        env["LD_PRELOAD"] = alloc_lib
    argv = [os.path.join(RELEASE, "aggregation-bench")] + (["--quick"] if args.smoke else [])
    run = subprocess.run(argv, capture_output=True, text=True, env=env, check=True)
    cases = {}
    for line in run.stdout.splitlines():
        if line.startswith("aggregation "):
            fields = dict(pair.split("=") for pair in line.split()[1:])
            cases[(int(fields["models"]), int(fields["results"]))] = fields
    for (models, results), f in sorted(cases.items()):
        target, verdict = "", ""
        previous = cases.get((models, results // 10))
        notes = []
        checks = []
        if previous:
            growth = float(f["rollup_ms"]) / max(float(previous["rollup_ms"]), 1e-6)
            notes.append(f"{growth:.1f}× the time of {fmt_int(results // 10)} (≤12×)")
            checks.append(table.check(f"aggregation {models} models: 10× results ≤ 12× time ({results // 10:,}→{results:,})",
                                      growth <= 12, f"{growth:.1f}×"))
        if results == 100_000:
            ms = float(f["rollup_ms"])
            notes.append("≤ 50 ms")
            checks.append(table.check(f"aggregation 100k results over {models} models ≤ 50 ms", ms <= 50, f"{ms:.1f} ms"))
        if checks:
            target = ", ".join(notes)
            verdict = "PASS" if all(c == "PASS" for c in checks) else "MISS"
        table.add("aggregation", "roll-up (store.aggregate)", f"{fmt_int(results)} results / {fmt_int(models)} models",
                  f"{float(f['rollup_ms']):,.2f} ms",
                  f"{f['rollup_allocs']} allocations; whole cycle with rendering {float(f['cycle_ms']):,.1f} ms "
                  f"({fmt_bytes(int(f['metrics_bytes']))} /metrics)", target, verdict)


def demo_fleet(providers):
    """(name, behaviour) of the demo's providers: "demo-healthy" … "demo-down", then "demo-healthy-2", … repeats."""
    behaviours = ["healthy", "slow", "flaky", "ratelimited", "unauthorized", "down"]
    return [(f"demo-{behaviours[i % 6]}" + (f"-{i // 6 + 1}" if i >= 6 else ""), behaviours[i % 6])
            for i in range(providers)]


def ingest(args, table, workdir):
    log("ingest")
    providers, models = 20, 10
    names = demo_fleet(providers)
    lines = []
    for i in range(1000):
        provider, behaviour = names[i % providers]
        model = f"{behaviour}-model-{(i // providers) % models + 1}"
        success = "false" if i % 10 == 0 else "true"
        lines.append(f'{{"provider":"{provider}","model":"{model}","success":{success},'
                     f'"latency_seconds":0.{100 + i % 900}}}')
    body_file = os.path.join(workdir, "outcomes.ndjson")
    with open(body_file, "w") as f:
        f.write("\n".join(lines) + "\n")
    # Writes are closed by default; the throughput measured is the decoder's and the store's, not a token check's.
    exporter, base = start_exporter(providers, models, "30s", extra=("--web.allow-anonymous-writes",))
    try:
        wait_http(base + "/-/healthy", exporter, timeout=60)
        with open(body_file, "rb") as f:
            request = urllib.request.Request(base + "/api/v1/outcomes", data=f.read(), method="POST",
                                             headers={"Content-Type": "application/x-ndjson"})
        with urllib.request.urlopen(request, timeout=30) as response:
            reply = response.read().decode()
            assert response.status == 202 and '"accepted":1000' in reply, reply
        duration = "2s" if args.smoke else "10s"
        r = wrk(base + "/api/v1/outcomes", duration, connections=4,
                env={"WRK_BODY_FILE": body_file, "WRK_CONTENT_TYPE": "application/x-ndjson"})
    finally:
        exporter.stop()
    rate = r["ok_rps"] * 1000
    verdict = table.check("ingest ≥ 200,000 outcomes/s", rate >= 200_000, f"{fmt_int(rate)}/s")
    table.add("ingest", "POST /api/v1/outcomes", "NDJSON × 1,000, 4 clients", f"{fmt_int(rate)} outcomes/s",
              f"{fmt_rate(r['ok_rps'])} batches/s, p99 {fmt_ms(r['p99_us'])}, {r['status_errors']} refused",
              f"{rate / 200_000:.1f}× the 200,000/s target", verdict)
    run = subprocess.run([os.path.join(RELEASE, "ingest-bench"), "1000", "200" if args.smoke else "2000"],
                         capture_output=True, text=True, check=True)
    match = re.search(r"ndjson: .* = (\d+) outcomes/s", run.stdout)
    if match:
        table.add("ingest", "decode + batch check only (ingest-bench)", "NDJSON × 1,000",
                  f"{fmt_int(int(match.group(1)))} outcomes/s", "no HTTP, no store", "", "")


def litellm_ingest(args, table, workdir):
    """LiteLLM's generic_api batches as the proxy sends them: a JSON array of 512 StandardLoggingPayloads (its default
    batch size), each the size of a real one (~13 KB: messages, response, metadata, model map), recorded from a real
    proxy (Tests/OutcomeIngestTests/testdata/litellm) and re-addressed to the demo fleet."""
    log("ingest (LiteLLM)")
    providers, models = 20, 10
    names = demo_fleet(providers)
    fixtures = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "OutcomeIngestTests",
                            "testdata", "litellm")
    # Streamed and plain successes, 500, 429 and a timeout, in about the shares a busy gateway sees.
    templates = []
    for name, weight in [("single-0.json", 3), ("single-2.json", 3), ("single-6.json", 2), ("single-8.json", 2),
                         ("single-1.json", 1), ("single-3.json", 1), ("single-5.json", 1)]:
        with open(os.path.join(fixtures, name)) as f:
            templates += [json.load(f)] * weight
    now = time.time()
    batch = []
    for i in range(512):
        payload = dict(templates[i % len(templates)])
        provider, behaviour = names[i % providers]
        shift = now - 5 - payload["startTime"]
        for key in ("startTime", "endTime", "completionStartTime"):
            if isinstance(payload.get(key), (int, float)):
                payload[key] += shift
        payload.update(custom_llm_provider=provider, api_base=None, model_group=None,
                       model=f"{behaviour}-model-{(i // providers) % models + 1}")
        batch.append(payload)
    body_file = os.path.join(workdir, "litellm.json")
    with open(body_file, "w") as f:
        json.dump(batch, f)
    size = os.path.getsize(body_file)
    exporter, base = start_exporter(providers, models, "30s", extra=("--web.allow-anonymous-writes",))
    try:
        wait_http(base + "/-/healthy", exporter, timeout=60)
        with open(body_file, "rb") as f:
            request = urllib.request.Request(base + "/api/v1/outcomes?format=litellm", data=f.read(), method="POST",
                                             headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            reply = json.loads(response.read())
            assert response.status == 202 and reply["accepted"] == 512, reply
        duration = "2s" if args.smoke else "10s"
        r = wrk(base + "/api/v1/outcomes?format=litellm", duration, connections=4,
                env={"WRK_BODY_FILE": body_file, "WRK_CONTENT_TYPE": "application/json"})
    finally:
        exporter.stop()
    rate = r["ok_rps"] * 512
    verdict = table.check("LiteLLM ingest ≥ 100,000 outcomes/s", rate >= 100_000, f"{fmt_int(rate)}/s")
    table.add("ingest", "POST /api/v1/outcomes?format=litellm", f"JSON array × 512 payloads ({fmt_bytes(size)}), 4 clients",
              f"{fmt_int(rate)} outcomes/s",
              f"{fmt_rate(r['ok_rps'])} batches/s ({fmt_bytes(int(r['ok_rps'] * size))}/s), p99 {fmt_ms(r['p99_us'])}, "
              f"{r['status_errors']} refused", f"{rate / 100_000:.1f}× the 100,000/s target", verdict)


def otlp(args, table, workdir):
    """OpenTelemetry GenAI spans through POST /v1/traces: one protobuf export of 1,000 spans, made by the
    OpenTelemetry Python SDK with prompts and completions in the attributes and events (which the receiver passes
    over), POSTed by 4 wrk connections."""
    log("otlp")
    sys.path.insert(0, os.path.join(REPO, "integration", "e2e"))
    from otlp_spans import genai_span, protobuf_body, recording_provider
    providers, models = 20, 10
    names = demo_fleet(providers)
    tracer_provider, memory = recording_provider()
    tracer = tracer_provider.get_tracer("opentelemetry.instrumentation.openai_v2")
    # Spans starting 1 ms apart over the second before now: every replay of the export by wrk lands among the
    # previous replays' results, the out-of-order arrival of overlapping exports from several services.
    now = time.time_ns() - 1_000_000_000
    for i in range(1000):
        provider, behaviour = names[i % providers]
        genai_span(tracer, provider=provider, model=f"{behaviour}-model-{(i // providers) % models + 1}",
                   start_ns=now + i * 1_000_000, duration_ns=(100 + i % 900) * 1_000_000,
                   error_type="500" if i % 10 == 0 else None, server=None)
    body_file = os.path.join(workdir, "traces.pb")
    with open(body_file, "wb") as f:
        f.write(protobuf_body(memory.get_finished_spans()))
    exporter, base = start_exporter(providers, models, "30s", extra=("--web.allow-anonymous-writes",))
    try:
        wait_http(base + "/-/healthy", exporter, timeout=60)
        with open(body_file, "rb") as f:
            request = urllib.request.Request(base + "/v1/traces", data=f.read(), method="POST",
                                             headers={"Content-Type": "application/x-protobuf"})
        with urllib.request.urlopen(request, timeout=30) as response:
            reply = response.read()
            # An empty ExportTraceServiceResponse: every span accepted.
            assert response.status == 200 and reply == b"", reply
        duration = "2s" if args.smoke else "10s"
        r = wrk(base + "/v1/traces", duration, connections=4,
                env={"WRK_BODY_FILE": body_file, "WRK_CONTENT_TYPE": "application/x-protobuf"})
    finally:
        exporter.stop()
    rate = r["ok_rps"] * 1000
    size = os.path.getsize(body_file)
    verdict = table.check("OTLP ≥ 100,000 spans/s", rate >= 100_000, f"{fmt_int(rate)}/s")
    table.add("otlp", "POST /v1/traces", f"protobuf × 1,000 spans ({fmt_bytes(size)}), 4 clients",
              f"{fmt_int(rate)} spans/s",
              f"{fmt_rate(r['ok_rps'])} exports/s, p99 {fmt_ms(r['p99_us'])}, {r['status_errors']} refused",
              f"{rate / 100_000:.1f}× the 100,000/s target", verdict)
    run = subprocess.run([os.path.join(RELEASE, "ingest-bench"), "--otlp", body_file, "200" if args.smoke else "2000"],
                         capture_output=True, text=True, check=True)
    match = re.search(r"otlp: .* = (\d+) spans/s, (\d+) MiB/s", run.stdout)
    if match:
        table.add("otlp", "decode only (ingest-bench --otlp)", "protobuf × 1,000 spans",
                  f"{fmt_int(int(match.group(1)))} spans/s", f"{match.group(2)} MiB/s; no HTTP, no store", "", "")


def probes(args, table):
    log("probe overhead and cycle")
    argv = [os.path.join(RELEASE, "probe-bench")] + (["--quick"] if args.smoke else [])
    run = subprocess.run(argv, capture_output=True, text=True, check=True)
    for line in run.stdout.splitlines():
        fields = dict(pair.split("=") for pair in line.split()[1:])
        if line.startswith("probe_overhead"):
            p50 = float(fields["p50_ms"])
            verdict = table.check(f"probe overhead p50 ≤ 1 ms at {fields['delay_ms']} ms injected", p50 <= 1,
                                  f"{p50:.2f} ms")
            table.add("probe overhead", "reported − injected latency", f"{fields['delay_ms']} ms injected",
                      f"p50 {p50:.3f} ms", f"p99 {float(fields['p99_ms']):.3f} ms over {fields['probes']} probes",
                      "p50 ≤ 1 ms", verdict)
        elif line.startswith("probe_cycle"):
            wall = float(fields["wall_s"])
            full = int(fields["models"]) >= 2000
            verdict = table.check("2,000-model probe cycle ≤ 2 s", wall <= 2, f"{wall:.2f} s") if full else ""
            table.add("probe cycle", "scheduler → store → roll-up",
                      f"{fields['models']} models / {fields['providers']} providers, {fields['injected_ms']} ms each",
                      f"{wall:.3f} s wall", f"{fields['available']} models available after the cycle",
                      "≤ 2 s" if full else "(smoke: 400 models)", verdict)
        elif line.startswith("probe_throughput"):
            table.add("probe throughput", "HTTP client alone, one provider answering at once",
                      f"{fields['concurrency']} at a time", f"{fmt_int(int(fields['per_s']))} probes/s",
                      f"p50 {float(fields['p50_ms']):.3f} ms, p99 {float(fields['p99_ms']):.3f} ms over "
                      f"{fields['probes']} probes", "", "")
        elif line.startswith("probe_memory"):
            table.add("probe memory", "probe-bench process after the runs above", "",
                      f"{float(fields['rss_mib']):.1f} MiB RSS", f"peak {float(fields['peak_rss_mib']):.1f} MiB",
                      "", "")


def memory(args, table, peers, go_binary):
    wait = 5 if args.smoke else 300
    sizes = RSS_SIZES[:1] if args.smoke else RSS_SIZES
    log(f"memory: {len(sizes) * 3} processes side by side for {wait} s, scraped every 15 s")
    running = []
    try:
        for providers, models in sizes:
            size = f"{providers}×{models}"
            running.append(("exporter", size, *start_exporter(providers, models, "30s")))
            running.append(("go peer", size, *start_go(go_binary, providers, models)))
            running.append(("python peer", size, *start_python(peers, providers, models)))
        started = time.time()
        next_scrape = started
        while time.time() - started < wait:
            if time.time() >= next_scrape:
                for _, _, process, base in running:
                    try:
                        http_get(base + "/metrics", timeout=60)
                    except Exception:
                        pass
                next_scrape += 15
            time.sleep(0.5)
        rss = {}
        for name, size, process, _ in running:
            if process.popen.poll() is not None:
                raise RuntimeError(f"{name} {size} exited: {process.output()}")
            rss[(name, size)] = process.rss_kib()
    finally:
        for _, _, process, _ in running:
            process.stop()
    for providers, models in sizes:
        size = f"{providers}×{models}"
        mine, go, py = rss[("exporter", size)], rss[("go peer", size)], rss[("python peer", size)]
        for name in ("go peer", "python peer"):
            table.add("memory", name, size, f"{rss[(name, size)] / 1024:,.1f} MiB RSS", f"after {wait} s", "", "")
        target, verdict = f"{mine / go:.2f}× go, {mine / py:.2f}× python", ""
        if size == "100×50":
            verdict = table.check("RSS at 100×50 ≤ 2× go", mine <= 2 * go, f"{mine / go:.2f}×")
            target += " (≤2× go)"
        table.add("memory", "**exporter**", size, f"**{mine / 1024:,.1f} MiB RSS**", f"after {wait} s", target, verdict)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--smoke", action="store_true", help="tiny durations; checks that every measurement works")
    parser.add_argument("--peers", default=os.environ.get("BENCH_PEERS", os.path.join(REPO, "..", "shared", "bench")))
    parser.add_argument("--go-peer", required=True, help="the built Go peer binary")
    parser.add_argument("--alloc-lib", default="", help="allocation counter to preload into aggregation-bench")
    parser.add_argument("--only", default="metrics,aggregation,ingest,otlp,probes,memory",
                        help="comma-separated areas; http-server (hand-written vs Hummingbird 2) runs only when named")
    parser.add_argument("--http-repeats", type=int, default=5, help="runs of each server in the http-server area")
    args = parser.parse_args()
    only = set(args.only.split(","))
    table = Table()
    workdir = tempfile.mkdtemp(prefix="phe-bench-")
    started = time.time()
    load = os.getloadavg()
    try:
        if "metrics" in only:
            metrics_throughput(args, table, args.peers, args.go_peer, workdir)
        if "aggregation" in only:
            aggregation(args, table, args.alloc_lib)
        if "ingest" in only:
            ingest(args, table, workdir)
            litellm_ingest(args, table, workdir)
        if "otlp" in only:
            otlp(args, table, workdir)
        if "probes" in only:
            probes(args, table)
        if "memory" in only:
            memory(args, table, args.peers, args.go_peer)
        if "http-server" in only:
            http_server_comparison(args, table, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\n{'smoke run' if args.smoke else 'full run'}: {os.cpu_count()} CPUs, load average at start "
          f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}, at end "
          f"{' / '.join(f'{x:.2f}' for x in os.getloadavg())}, {time.time() - started:.0f} s; "
          f"wrk -t2 -c16 -d{'2s' if args.smoke else '10s'}\n")
    table.print()
    for name, measured, verdict in table.targets:
        print(f"  {verdict}  {name}: {measured}")


if __name__ == "__main__":
    main()
