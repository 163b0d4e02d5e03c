#!/usr/bin/env python3
"""Chaos soak: the exporter against misbehaving fake providers, reloaded, scraped and fed for a long time.

For `--duration` (default 10m):
- fake OpenAI-compatible providers answer with random 5xx, 429 (some with retry-after) and latency spikes,
  in episodes (storms of 5xx, of 429, of slow answers beyond the probe timeout) over a noisy baseline;
- the configuration is reloaded every `--reload-every` (default 30s; 10s for runs under 3 minutes),
  alternating SIGHUP and POST /-/reload (admin token), cycling through three configurations that add and
  remove providers and models and change the latency buckets (which restarts every tracker);
- wrk scrapes /metrics without pause on three connections, one per encoding (text, OpenMetrics, gzip text),
  and its Lua script checks every response (status 200, content type, encoding, body shape);
- a sampler fully validates a scrape every 1.5 s, rotating the encodings: prometheus_client's text or
  OpenMetrics parser, `promtool check metrics` on the text ones, one status and one breaker state per
  provider, and the providers shown are those of the configuration in force;
  with each sample, /health, /api/providers/status, /api/providers/best and the status page must answer;
- a client posts batches of passive outcomes (ingest token), JSON arrays and NDJSON in turn, and expects
  every one to be accepted.

At the end: the process never died and stops with exit 0 on SIGTERM, RSS grew less than 10 % between the
end of the warm-up (a fifth of the run, at least 20 s and at most 2 minutes: windows and histograms filled)
and the end, every scrape was valid, every reload took, every outcome was counted. A summary is printed;
the exit status is 0 when every check passed.

Usage: soak.py [--duration 10m] [--binary PATH] [--seed N] [--reload-every 30s]
"""
import argparse
import gzip
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import ExporterProcess, default_binary, parse_samples, sample  # noqa: E402
from fakes import Answer, FakeProviders  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ADMIN_TOKEN = "soak-admin-token"
INGEST_TOKEN = "soak-ingest-token"

# Every provider the fakes serve, with every model any configuration names (plus one they never list).
SERVED = {
    "soak-openai": ["gpt-a", "gpt-b", "gpt-c", "gpt-d"],
    "soak-groq": ["llama-a", "llama-b"],
    "soak-together": ["mix-a"],
    "soak-extra1": ["x1"],
    "soak-extra2": ["x2-a", "x2-b"],
    "soak-extra3": ["x3"],
}
# Posted to as passive traffic: in every configuration.
STABLE = {"soak-openai": ["gpt-a", "gpt-b"], "soak-groq": ["llama-a"]}


def variants(window):
    """Three configurations: (global extra YAML, [(name, models or None, completion probe, interval)])."""
    return [
        ("", [
            ("soak-openai", ["gpt-a", "gpt-b", "gpt-c"], False, "1s"),
            ("soak-groq", ["llama-a"], True, "1s"),
            ("soak-together", None, False, "1500ms"),
            ("soak-extra1", ["x1"], False, "1s"),
        ]),
        ("", [
            ("soak-openai", ["gpt-a", "gpt-b", "gpt-d", "gpt-missing"], False, "1s"),
            ("soak-groq", ["llama-a", "llama-b"], True, "2s"),
            ("soak-together", None, False, "1s"),
            ("soak-extra2", ["x2-a", "x2-b"], False, "1s"),
            ("soak-extra3", ["x3"], True, "1s"),
        ]),
        ("  latency_buckets: [0.05, 0.1, 0.5, 1, 2, 5]\n", [
            ("soak-openai", ["gpt-a", "gpt-b"], True, "1s"),
            ("soak-groq", ["llama-a"], False, "1s"),
            ("soak-extra1", ["x1"], False, "2s"),
            ("soak-extra3", ["x3"], False, "1s"),
        ]),
    ]


def config_text(fake, variant, window, aggregation):
    extra, providers = variant
    out = (f"global:\n  aggregation_interval: {aggregation}\n  window: {window}s\n{extra}"
           "  interval: 1s\n  timeout: 900ms\n  jitter: 200ms\n  max_probes_per_hour: 100000\n"
           "  breaker: {failure_threshold: 5, open_duration: 10s, success_threshold: 2}\nproviders:\n")
    for name, models, completion, interval in providers:
        out += f"  - name: {name}\n    kind: openai\n    base_url: {fake.base_url(name)}\n    interval: {interval}\n"
        out += "    api_key_env: SOAK_KEY\n"
        if models is not None:
            out += f"    models: [{', '.join(models)}]\n"
        if completion:
            out += "    completion_probe: true\n"
    return out


class Chaos:
    """Random answers with episodes: a noisy baseline, storms of 5xx, of 429, of slow answers."""

    def __init__(self, seed, duration):
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.started = time.monotonic()
        self.episodes = {}
        kinds = ["5xx", "429", "slow"]
        for name in SERVED:
            t, eps = self.rng.uniform(2, 20), []
            while t < duration + 60:
                length = self.rng.uniform(4, 15)
                eps.append((t, t + length, self.rng.choice(kinds)))
                t += length + self.rng.expovariate(1 / 30)
            self.episodes[name] = eps
        self.served = {"ok": 0, "5xx": 0, "429": 0, "slow": 0}

    def episode(self, provider, now):
        for start, end, kind in self.episodes.get(provider, []):
            if start <= now < end:
                return kind
            if start > now:
                break
        return None

    def __call__(self, provider, path, number):
        now = time.monotonic() - self.started
        episode = self.episode(provider, now)
        with self.lock:
            r = self.rng.random()
            delay = self.rng.uniform(0.005, 0.06)
            if episode == "5xx" and r < 0.6 or episode is None and r < 0.03:
                self.served["5xx"] += 1
                return Answer(status=self.rng.choice([500, 502, 503, 504]), delay=delay)
            if episode == "429" and r < 0.8 or episode is None and 0.03 <= r < 0.05:
                self.served["429"] += 1
                headers = {"retry-after": str(self.rng.choice([1, 2]))} if self.rng.random() < 0.5 else {}
                headers["x-ratelimit-remaining-requests"] = "0"
                headers["x-ratelimit-limit-requests"] = "100"
                return Answer(status=429, delay=delay, headers=headers)
            if episode == "slow" and r < 0.7 or episode is None and 0.05 <= r < 0.055:
                self.served["slow"] += 1
                return Answer(status=200, delay=self.rng.uniform(0.5, 1.5))  # up to past the 900 ms timeout
            self.served["ok"] += 1
            remaining = self.rng.randint(5, 100)
            return Answer(status=200, delay=delay, headers={
                "x-ratelimit-remaining-requests": str(remaining), "x-ratelimit-limit-requests": "100",
                "x-ratelimit-reset-requests": "6m0s"})


def parse_duration(text):
    match = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)s)?", text)
    if text.replace(".", "", 1).isdigit():
        return float(text)
    if not match or not any(match.groups()):
        raise argparse.ArgumentTypeError(f"not a duration: {text} (e.g. 10m, 90s, 1m30s)")
    h, m, s = match.groups()
    return int(h or 0) * 3600 + int(m or 0) * 60 + float(s or 0)


class Soak:
    def __init__(self, binary, duration, seed, reload_every):
        self.binary = binary
        self.duration = duration
        self.seed = seed
        self.reload_every = reload_every
        self.window = int(max(10, min(60, duration / 10)))
        self.aggregation = "1s"
        self.warmup = max(20.0, min(120.0, duration / 5))
        self.errors = []
        self.errors_lock = threading.Lock()
        self.stop = threading.Event()
        self.tmp = tempfile.mkdtemp(prefix="soak-")
        self.config_path = os.path.join(self.tmp, "config.yml")
        self.variants = variants(self.window)
        self.variant_index = 0
        # (time of the change, provider names before, after): the sampler accepts either around a reload.
        self.config_lock = threading.Lock()
        self.expected = None
        self.previous = None
        self.changed_at = 0.0
        self.reloads = {"SIGHUP": 0, "POST /-/reload": 0}
        self.validated = {"text": 0, "openmetrics": 0, "gzip": 0}
        self.promtool_checks = 0
        self.routes_checked = 0
        self.outcomes_posted = 0
        self.batches_posted = 0
        self.rss = []  # (seconds since start, bytes)

    def error(self, message):
        elapsed = time.monotonic() - self.started if hasattr(self, "started") else 0
        with self.errors_lock:
            self.errors.append(f"{elapsed:7.1f}s {message}")
        print(f"  error at {elapsed:.1f}s: {message}", flush=True)

    def write_config(self, index):
        text = config_text(self.fake, self.variants[index], self.window, self.aggregation)
        tmp = self.config_path + ".new"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, self.config_path)
        names = {p[0] for p in self.variants[index][1]}
        with self.config_lock:
            self.previous, self.expected = self.expected, names
            self.changed_at = time.monotonic()
        return names

    def allowed_sets(self):
        with self.config_lock:
            settling = time.monotonic() - self.changed_at < 4
            return [self.expected] + ([self.previous] if settling and self.previous else [])

    # --- the parts that run concurrently

    def sampler(self):
        from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_om
        from prometheus_client.parser import text_string_to_metric_families as parse_text
        kinds = ["text", "openmetrics", "gzip"]
        n = 0
        while not self.stop.wait(1.5):
            kind = kinds[n % 3]
            n += 1
            headers = {}
            if kind == "openmetrics":
                headers["Accept"] = "application/openmetrics-text; version=1.0.0"
            if kind == "gzip":
                headers["Accept-Encoding"] = "gzip"
            try:
                allowed = self.allowed_sets()
                status, hdrs, body = self.exporter.get("/metrics", headers, timeout=10)
                if status != 200:
                    self.error(f"sampled scrape ({kind}): status {status}")
                    continue
                if kind == "gzip":
                    if hdrs.get("content-encoding") != "gzip":
                        self.error("sampled scrape (gzip): not gzip-encoded")
                        continue
                    body = gzip.decompress(body)
                text = body.decode("utf-8")
                families = list(parse_om(text) if kind == "openmetrics" else parse_text(text))
                problems = self.semantic_problems(families, allowed, kind)
                if kind != "openmetrics":
                    check = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True, timeout=30)
                    self.promtool_checks += 1
                    if check.returncode != 0:
                        problems.append("promtool: " + (check.stdout + check.stderr).decode()[:300])
                for p in problems:
                    self.error(f"sampled scrape ({kind}): {p}")
                if not problems:
                    self.validated[kind] += 1
                self.check_routes()
            except Exception as e:  # a parse error is an invalid scrape
                if not self.stop.is_set():
                    self.error(f"sampled scrape ({kind}): {type(e).__name__}: {e}")

    def check_routes(self):
        """The JSON routes and the status page answer too, and the JSON parses."""
        for path in ("/health", "/api/providers/status", "/api/providers/best", "/"):
            status, _, body = self.exporter.get(path, timeout=10)
            if status not in (200, 503) or (status == 503 and path != "/api/providers/best"):
                self.error(f"GET {path}: status {status}")
            elif path != "/":
                json.loads(body)
            self.routes_checked += 1

    @staticmethod
    def semantic_problems(families, allowed, kind):
        problems = []
        by_name = {f.name: f for f in families}
        for required in ("provider_status", "provider_circuit_breaker_state", "provider_health_exporter_build_info"):
            if required not in by_name:
                problems.append(f"{required} missing")
        if problems:
            return problems
        status_ones, breaker_ones, names = {}, {}, set()
        for s in by_name["provider_status"].samples:
            names.add(s.labels["provider"])
            status_ones[s.labels["provider"]] = status_ones.get(s.labels["provider"], 0) + (s.value == 1)
        for s in by_name["provider_circuit_breaker_state"].samples:
            breaker_ones[s.labels["provider"]] = breaker_ones.get(s.labels["provider"], 0) + (s.value == 1)
        for name in names:
            if status_ones.get(name) != 1:
                problems.append(f"{name}: {status_ones.get(name)} statuses at 1")
            if breaker_ones.get(name) != 1:
                problems.append(f"{name}: {breaker_ones.get(name)} breaker states at 1")
        if names not in allowed:
            problems.append(f"providers {sorted(names)}, configuration says {[sorted(a) for a in allowed]}")
        return problems

    def outcomes(self):
        rng = random.Random(self.seed + 1)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {INGEST_TOKEN}"}
        while not self.stop.wait(0.2):
            batch = []
            now = time.time()
            for _ in range(rng.randint(1, 40)):
                provider = rng.choice(sorted(STABLE))
                ok = rng.random() > 0.1
                outcome = {"provider": provider, "model": rng.choice(STABLE[provider]), "success": ok,
                           "latency_seconds": round(rng.uniform(0.05, 3), 3), "timestamp": now - rng.uniform(0, 2)}
                if not ok:
                    outcome["status_code"] = rng.choice([429, 500, 503])
                    outcome["error"] = "upstream said no"
                batch.append(outcome)
            ndjson = self.batches_posted % 2 == 1
            payload = "\n".join(json.dumps(o) for o in batch) + "\n" if ndjson else json.dumps(batch)
            headers["Content-Type"] = "application/x-ndjson" if ndjson else "application/json"
            try:
                status, _, body = self.exporter.post("/api/v1/outcomes", payload.encode(), headers, timeout=10)
                if status != 202:
                    self.error(f"outcomes: status {status}: {body[:200]!r}")
                else:
                    self.outcomes_posted += json.loads(body)["accepted"]
                    self.batches_posted += 1
            except Exception as e:
                if not self.stop.is_set():
                    self.error(f"outcomes: {type(e).__name__}: {e}")

    def rss_watch(self):
        while not self.stop.wait(1.0):
            rss = self.exporter.rss_bytes()
            if rss is not None:
                self.rss.append((time.monotonic() - self.started, rss))

    def reload(self):
        self.variant_index = (self.variant_index + 1) % len(self.variants)
        names = self.write_config(self.variant_index)
        use_post = sum(self.reloads.values()) % 2 == 1
        if use_post:
            status, _, body = self.exporter.post("/-/reload", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
            self.reloads["POST /-/reload"] += 1
            if status != 200 or json.loads(body).get("providers") != len(names):
                self.error(f"POST /-/reload: {status} {body[:200]!r}")
        else:
            self.exporter.proc.send_signal(signal.SIGHUP)
            self.reloads["SIGHUP"] += 1
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            status, body = self.exporter.json("/api/providers/status")
            shown = {p["name"] for p in body.get("providers", body if isinstance(body, list) else [])}
            if status == 200 and shown == names:
                break
            time.sleep(0.2)
        else:
            self.error(f"reload {self.variant_index}: providers shown {sorted(shown)}, expected {sorted(names)}")
        samples = parse_samples(self.exporter.get("/metrics")[2].decode())
        if sample(samples, "provider_health_exporter_config_last_reload_successful") != 1:
            self.error("config_last_reload_successful is not 1 after a reload")

    # --- the run

    def run(self):
        self.fake = FakeProviders(SERVED, behaviour=Chaos(self.seed, self.duration))
        admin = os.path.join(self.tmp, "admin-token")
        ingest = os.path.join(self.tmp, "ingest-token")
        for path, token in ((admin, ADMIN_TOKEN), (ingest, INGEST_TOKEN)):
            with open(path, "w") as f:
                f.write(token + "\n")
        self.write_config(0)
        log = os.path.join(self.tmp, "exporter.log")
        self.exporter = ExporterProcess(self.binary, [
            "--config.file", self.config_path, "--history.path", os.path.join(self.tmp, "history.sqlite"),
            "--web.admin-token-file", admin, "--web.ingest-token-file", ingest, "--log.level", "warn",
        ], log, env={"SOAK_KEY": "sk-soak-0123456789"})
        self.started = time.monotonic()
        wrk = None
        try:
            self.exporter.wait_ready()
            print(f"soak: {self.duration:.0f}s, seed {self.seed}, exporter pid {self.exporter.pid} on :{self.exporter.port} "
                  f"({self.binary}), fakes on :{self.fake.port}, reload every {self.reload_every:.0f}s, "
                  f"window {self.window}s, warm-up {self.warmup:.0f}s; files in {self.tmp}", flush=True)
            self.started = time.monotonic()
            wrk_out = open(os.path.join(self.tmp, "wrk.txt"), "w")
            wrk = subprocess.Popen(
                ["wrk", "-t3", "-c3", f"-d{int(self.duration)}s", "--timeout", "5s", "-s", os.path.join(HERE, "scrape_check.lua"),
                 f"{self.exporter.base}/metrics"], stdout=wrk_out, stderr=subprocess.STDOUT)
            workers = [threading.Thread(target=t, daemon=True) for t in (self.sampler, self.outcomes, self.rss_watch)]
            for w in workers:
                w.start()
            next_reload = time.monotonic() + self.reload_every
            next_progress = time.monotonic() + 60
            while time.monotonic() - self.started < self.duration:
                if not self.exporter.alive():
                    self.error(f"exporter died with {self.exporter.proc.returncode}")
                    break
                now = time.monotonic()
                if now >= next_reload:
                    self.reload()
                    next_reload += self.reload_every
                if now >= next_progress:
                    rss = self.rss[-1][1] / 2**20 if self.rss else 0
                    print(f"  … {now - self.started:.0f}s: RSS {rss:.1f} MiB, reloads {sum(self.reloads.values())}, "
                          f"validated {sum(self.validated.values())}, outcomes {self.outcomes_posted}, errors {len(self.errors)}",
                          flush=True)
                    next_progress += 60
                time.sleep(0.2)
            self.stop.set()
            for w in workers:
                w.join(timeout=30)
            try:
                wrk.wait(timeout=30)
            except subprocess.TimeoutExpired:
                wrk.kill()
                self.error("wrk did not finish")
            wrk_out.close()
            alive = self.exporter.alive()
            time.sleep(2.5)  # two cycles: the outcome counter is rendered once per cycle
            final = parse_samples(self.exporter.get("/metrics")[2].decode()) if alive else {}
            code, took = self.exporter.stop()
        finally:
            self.stop.set()
            if wrk and wrk.poll() is None:
                wrk.kill()
            self.exporter.kill()
            self.fake.stop()
        return self.summary(alive, code, took, final)

    def summary(self, alive, code, took, final):
        with open(os.path.join(self.tmp, "wrk.txt")) as f:
            wrk_text = f.read()
        checks = []

        def check(name, ok, value):
            checks.append((name, bool(ok), value))

        m = re.search(r"SCRAPE-CHECK total=(\d+) ok=(\d+) bad=(\d+) first_bad=(.*)", wrk_text)
        total, ok, bad, first_bad = (int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4)) if m else (0, 0, -1, "no summary")
        requests = re.search(r"(\d+) requests in ([\d.]+)(\w+)", wrk_text)
        rate = re.search(r"Requests/sec:\s+([\d.]+)", wrk_text)
        socket_errors = re.search(r"Socket errors: (.*)", wrk_text)
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", wrk_text)
        wrk_requests = int(requests.group(1)) if requests else 0
        check("scrapes done by wrk, every one checked by its Lua script", m and total > 0 and bad == 0 and total == ok,
              f"{total} ({rate.group(1) if rate else '?'} req/s), {ok} ok, {bad} bad{' — ' + first_bad if bad else ''}")
        check("wrk socket errors and non-2xx", not socket_errors and not non2xx,
              f"{socket_errors.group(1) if socket_errors else 'none'}; non-2xx {non2xx.group(1) if non2xx else 0}")
        validated = sum(self.validated.values())
        check("scrapes fully validated (parsers + promtool)", validated >= max(3, self.duration / 1.5 * 0.7),
              f"{validated} ({self.validated['text']} text, {self.validated['openmetrics']} OpenMetrics, "
              f"{self.validated['gzip']} gzip; {self.promtool_checks} through promtool; "
              f"{self.routes_checked} JSON and status page answers checked beside)")
        warm = [r for t, r in self.rss if self.warmup - 10 <= t <= self.warmup]
        end = [r for t, r in self.rss if t >= self.duration - 10]
        if warm and end:
            warm_rss, end_rss = sum(warm) / len(warm), sum(end) / len(end)
            growth = (end_rss - warm_rss) / warm_rss * 100
            peak = max(r for _, r in self.rss)
            check("RSS growth after warm-up", growth < 10,
                  f"warm-up {warm_rss / 2**20:.1f} MiB (at {self.warmup:.0f}s), end {end_rss / 2**20:.1f} MiB, growth {growth:+.1f} %, "
                  f"peak {peak / 2**20:.1f} MiB")
        else:
            check("RSS growth after warm-up", False, "not enough RSS samples")
        check("reloads", sum(self.reloads.values()) >= max(1, int(self.duration // self.reload_every) - 1),
              f"{sum(self.reloads.values())} ({self.reloads['SIGHUP']} SIGHUP, {self.reloads['POST /-/reload']} POST /-/reload)")
        counted = sample(final, "provider_health_exporter_outcomes_received_total")
        check("outcomes posted, all accepted and counted", self.outcomes_posted > 0 and counted == self.outcomes_posted,
              f"{self.outcomes_posted} in {self.batches_posted} batches; the exporter counted {counted}")
        probes = sum(v for (n, _), v in final.items() if n == "provider_probe_requests_total")
        dropped = sample(final, "provider_health_exporter_history_rows_dropped_total")
        check("history kept up", dropped == 0, f"{dropped} rows dropped, queue {sample(final, 'provider_health_exporter_history_queue_rows')}")
        check("no crash", alive, "alive to the end" if alive else "died")
        check("graceful stop", code == 0, f"exit {code} after SIGTERM in {took:.2f}s")
        check("errors", not self.errors, f"{len(self.errors)}")
        print(f"\nsoak summary ({self.duration:.0f}s, seed {self.seed}; fakes served {self.fake.behaviour.served}; "
              f"{int(probes)} probe requests; wrk: {wrk_requests} requests):")
        width = max(len(c[0]) for c in checks)
        for name, passed, value in checks:
            print(f"  {'PASS' if passed else 'FAIL'}  {name:<{width}}  {value}")
        for e in self.errors[:20]:
            print(f"    {e}")
        passed = all(p for _, p, _ in checks)
        print(f"soak: {'PASS' if passed else 'FAIL'} (files in {self.tmp})")
        if passed:
            shutil.rmtree(self.tmp, ignore_errors=True)
        return passed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=parse_duration, default=600.0, help="how long, e.g. 10m, 60s (default 10m)")
    parser.add_argument("--binary", default=default_binary())
    parser.add_argument("--seed", type=int, default=None, help="seed of the fakes' randomness (default: random, printed)")
    parser.add_argument("--reload-every", type=parse_duration, default=None, help="default 30s; 10s for runs under 3 minutes")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    reload_every = args.reload_every or (30.0 if args.duration >= 180 else 10.0)
    ok = Soak(args.binary, args.duration, seed, reload_every).run()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
