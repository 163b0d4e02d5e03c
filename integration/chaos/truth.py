#!/usr/bin/env python3
"""Truth of the signal: does the exporter report what a provider really does?

A fake OpenAI-compatible provider with known, injected behaviour is probed by the exporter:

1. Injected behaviour (10 minutes; `--short`: 35 s). Every answer takes 300 ms; the answers follow a fixed
   deck of ten, dealt in order, over and over: 7 × 200, 2 × 500, 1 × 429, with no two 500s next to each
   other (ok 500 ok ok 429 ok 500 ok ok ok). That is exactly 20 % 500s and 10 % 429s, deterministically: with
   random draws, five 500s in a row would now and then open the circuit breaker and make the provider `down`
   for real, and a run would pass or fail by luck.
   Checked, at every poll (every 150 ms) once the window is full:
   - error rate: the exported `provider_error_rate` and the API's `error_rate` count 500s and 429s as failures,
     so the injected error rate is 30 %: both must stay within ±3 percentage points of it;
   - the per-reason counters: `provider_result_failures_total{reason="http_5xx"}` / results = 20 % and
     `{reason="rate_limited"}` = 10 % (±3 points), compared with what the fake actually served;
   - p50: the API's `p50_latency_seconds` is an exact (nearest-rank) quantile of the window: within ±5 ms of
     300 ms. The histogram's p50 (histogram_quantile over the run's buckets, as Prometheus computes it) is
     bucketed, so this run configures buckets 5 ms wide around 300 ms and reports it beside the exact one;
   - status: never `down` (neither at a poll, nor in `provider_status_changes_total{status="down"}`, which
     counts every cycle's status, polled or not). A 30 % error rate is `degraded` under the default 5 %
     threshold, and right after a 429 the status is `rate_limited`: neither is `down`.
2. Hard outage: the port is closed and every open connection cut. Measured: time from the start of the outage
   to `down`, against the bound of one probe interval plus one aggregation interval.
3. Recovery: once the breaker is open, the provider listens again and answers 200 to everything. Measured:
   time from its return to `healthy`, and the breaker states seen in between (open, half_open, closed).

Configuration, chosen so the run takes minutes, not hours, and so each phase has one clear expected outcome:
- probe interval 1 s (short: 500 ms), timeout 900 ms (short: 480 ms), no jitter: a steady cadence, so the
  window always holds the same number of results (60; short: 30) and the deck's proportions show in it
  to within one result (±1.7 points; short ±2.3);
- window 60 s (short: 15 s) and breaker open duration equal to the window: the breaker opens after 5
  consecutive connection failures and sends no probe while open, so by the time it turns half-open every
  result from before the outage has left the window. The 3 half-open successes then close it with a clean
  window: 0 % errors, `healthy` right away. (With the default 5 minute window and 60 s open duration the
  provider would stay `degraded` after the breaker closes, until the outage's failures left the window.)
- aggregation interval 1 s (short: 500 ms): the bound for `down` is 2 s (short: 1 s).

Usage: truth.py [--short] [--binary PATH] [--duration SECONDS]; exit status 0 when every check passes.
"""
import argparse
import os
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import (ExporterProcess, default_binary, histogram_buckets, histogram_quantile,  # noqa: E402
                    parse_samples, sample)
from fakes import Answer, FakeProvidersProcess  # noqa: E402

PROVIDER = "truth"
MODEL = "truth-model"
LATENCY = 0.300
DECK = [200, 500, 200, 200, 429, 200, 500, 200, 200, 200]
INJECTED_5XX = DECK.count(500) / len(DECK)
INJECTED_429 = DECK.count(429) / len(DECK)
INJECTED_ERROR_RATE = INJECTED_5XX + INJECTED_429
ERROR_TOLERANCE = 0.03
P50_TOLERANCE = 0.005
BUCKETS = [0.05, 0.1, 0.25, 0.28, 0.29, 0.295, 0.3, 0.305, 0.31, 0.32, 0.35, 0.5, 1, 2, 5, 10]

MODES = {
    #        injected s, interval, timeout, aggregation, window, open duration
    "full": dict(duration=600, interval=1.0, timeout=0.9, aggregation=1.0, window=60, open=60),
    "short": dict(duration=35, interval=0.5, timeout=0.48, aggregation=0.5, window=15, open=15),
}
POLL = 0.15
OUTAGE_POLL = 0.1


def config_text(base_url, m):
    buckets = ", ".join(str(b) for b in BUCKETS)
    return f"""global:
  aggregation_interval: {int(m['aggregation'] * 1000)}ms
  window: {m['window']}s
  latency_buckets: [{buckets}]
  interval: {int(m['interval'] * 1000)}ms
  timeout: {int(m['timeout'] * 1000)}ms
  jitter: 0s
  max_probes_per_hour: 100000
  breaker:
    failure_threshold: 5
    open_duration: {m['open']}s
    success_threshold: 3
providers:
  - name: {PROVIDER}
    kind: openai
    base_url: {base_url}
    models: [{MODEL}]
"""


class Deck:
    """Deals the deck in order, one card per model-list request; `clean` answers 200 to everything."""

    def __init__(self):
        self.clean = False
        self._lock = threading.Lock()
        self._dealt = 0

    def __call__(self, provider, path, number):
        if self.clean:
            return Answer(status=200, delay=LATENCY)
        with self._lock:
            status = DECK[self._dealt % len(DECK)]
            self._dealt += 1
        return Answer(status=status, delay=LATENCY)


class Report:
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


def provider_view(exporter):
    status, body = exporter.json(f"/api/providers/status/{PROVIDER}", timeout=5)
    return body if status == 200 else None


def run(binary, mode_name, duration=None):
    m = dict(MODES[mode_name])
    if duration is not None:
        m["duration"] = duration
    deck = Deck()
    fake = FakeProvidersProcess({PROVIDER: [MODEL]}, behaviour=deck)
    report = Report()
    tmp = tempfile.mkdtemp(prefix="truth-")
    config = os.path.join(tmp, "config.yml")
    with open(config, "w") as f:
        f.write(config_text(fake.base_url(PROVIDER), m))
    log = os.path.join(tmp, "exporter.log")
    exporter = ExporterProcess(binary, ["--config.file", config, "--history.path", ":memory:", "--log.level", "warn"], log)
    started_wall = time.monotonic()
    try:
        exporter.wait_ready()
        print(f"truth: mode {mode_name}, exporter pid {exporter.pid} on :{exporter.port}, fake provider on :{fake.port}, "
              f"interval {m['interval']}s, aggregation {m['aggregation']}s, window {m['window']}s, "
              f"breaker open {m['open']}s; injected for {m['duration']}s", flush=True)

        # Phase 1: injected behaviour.
        phase_start = time.monotonic()
        full_after = phase_start + m["window"] + 2 * m["aggregation"] + m["interval"]
        api_errors, gauge_errors, p50s = [], [], []
        statuses = {}
        down_polls = []
        polls = 0
        next_metrics = 0.0
        last_progress = phase_start
        while time.monotonic() - phase_start < m["duration"]:
            now = time.monotonic()
            view = provider_view(exporter)
            polls += 1
            if view is not None:
                statuses[view["status"]] = statuses.get(view["status"], 0) + 1
                if view["status"] == "down":
                    down_polls.append(round(now - phase_start, 2))
                if now >= full_after:
                    api_errors.append(view["error_rate"])
                    if view.get("p50_latency_seconds") is not None:
                        p50s.append(view["p50_latency_seconds"])
            if now >= next_metrics and now >= full_after:
                samples = parse_samples(exporter.get("/metrics")[2].decode())
                value = sample(samples, "provider_error_rate", provider=PROVIDER)
                if value is not None:
                    gauge_errors.append(value)
                next_metrics = now + 0.5
            if now - last_progress >= 60:
                print(f"  … {now - phase_start:.0f}s: statuses so far {statuses}", flush=True)
                last_progress = now
            time.sleep(POLL)
        samples = parse_samples(exporter.get("/metrics")[2].decode())
        results = sample(samples, "provider_results_total", provider=PROVIDER, source="probe") or 0
        http5xx = sample(samples, "provider_result_failures_total", provider=PROVIDER, source="probe", reason="http_5xx") or 0
        limited = sample(samples, "provider_result_failures_total", provider=PROVIDER, source="probe", reason="rate_limited") or 0
        downs = sample(samples, "provider_status_changes_total", provider=PROVIDER, status="down") or 0
        buckets = histogram_buckets(samples, "provider_response_time_seconds", provider=PROVIDER)
        hist_p50 = histogram_quantile(0.5, buckets)
        served = fake.tallies(PROVIDER)
        served_total = sum(served.values())
        service = sorted(fake.service_times())
        fake_p50 = service[len(service) // 2] if service else None

        print(f"\nphase 1: injected behaviour for {m['duration']}s, {polls} polls, "
              f"{len(api_errors)} after the window filled; statuses seen at polls: {statuses}")
        print(f"  the fake served {served_total} answers: {served}; its own p50 (request line to answer written) "
              f"{fake_p50 * 1000:.2f} ms, max {service[-1] * 1000:.2f} ms" if service else "")
        report.check("window filled, samples taken", len(api_errors) > 10 and len(gauge_errors) > 3,
                     f"{len(api_errors)} API and {len(gauge_errors)} /metrics samples", "> 10 and > 3")
        for what, samples in [("API error_rate, every sample", api_errors),
                              ("provider_error_rate gauge, every sample", gauge_errors)]:
            if samples:
                lo, hi = min(samples), max(samples)
                mean = sum(samples) / len(samples)
                report.check(what, abs(lo - INJECTED_ERROR_RATE) <= ERROR_TOLERANCE + 1e-9
                             and abs(hi - INJECTED_ERROR_RATE) <= ERROR_TOLERANCE + 1e-9,
                             f"min {lo:.2%} mean {mean:.2%} max {hi:.2%}", f"{INJECTED_ERROR_RATE:.0%} ± 3 points")
        if results:
            report.check("http_5xx failures / results (counters)", abs(http5xx / results - INJECTED_5XX) <= ERROR_TOLERANCE,
                         f"{int(http5xx)}/{int(results)} = {http5xx / results:.2%} (served {served.get(500, 0)}/{served_total})",
                         f"{INJECTED_5XX:.0%} ± 3 points")
            report.check("rate_limited failures / results (counters)", abs(limited / results - INJECTED_429) <= ERROR_TOLERANCE,
                         f"{int(limited)}/{int(results)} = {limited / results:.2%} (served {served.get(429, 0)}/{served_total})",
                         f"{INJECTED_429:.0%} ± 3 points")
            report.check("every served answer counted", abs(results - served_total) <= 1,
                         f"{int(results)} results, {served_total} answers", "equal (± 1 in flight)")
        if p50s:
            lo, hi = min(p50s), max(p50s)
            report.check("API p50_latency_seconds (exact), every sample",
                         abs(lo - LATENCY) <= P50_TOLERANCE and abs(hi - LATENCY) <= P50_TOLERANCE,
                         f"min {lo * 1000:.2f} ms max {hi * 1000:.2f} ms", "300 ms ± 5 ms")
        report.check("histogram p50 (bucketed, 5 ms buckets)", hist_p50 is not None and abs(hist_p50 - LATENCY) <= P50_TOLERANCE,
                     f"{hist_p50 * 1000:.2f} ms" if hist_p50 is not None else "none", "300 ms ± 5 ms (bucket width 5 ms)")
        report.check("never down (polls)", not down_polls, f"{len(down_polls)} polls down {down_polls[:5]}", "0")
        report.check("never down (provider_status_changes_total{status=down})", downs == 0, f"{int(downs)}", "0")

        # Phase 2: hard outage.
        bound_down = m["interval"] + m["aggregation"]
        outage_began = time.monotonic()
        fake.close()
        closed_after = time.monotonic() - outage_began
        t_down = t_open = None
        seen = []
        while time.monotonic() - outage_began < 10 * m["interval"] + 15:
            view = provider_view(exporter)
            elapsed = time.monotonic() - outage_began
            if view is not None:
                state = (view["status"], view["circuit_breaker"])
                if not seen or seen[-1][1] != state:
                    seen.append((round(elapsed, 2), state))
                if t_down is None and view["status"] == "down":
                    t_down = elapsed
                if view["circuit_breaker"] == "open":
                    t_open = elapsed
                    break
            time.sleep(OUTAGE_POLL)
        print(f"\nphase 2: hard outage (closing the port took {closed_after * 1000:.0f} ms); states (s, (status, breaker)): {seen}")
        report.check("down after the outage began", t_down is not None and t_down <= bound_down + OUTAGE_POLL + 0.05,
                     f"{t_down:.2f} s" if t_down is not None else "never",
                     f"probe interval + aggregation = {bound_down:.2f} s (+ {OUTAGE_POLL:.2f} s polling)")
        report.check("breaker opened", t_open is not None, f"after {t_open:.2f} s" if t_open is not None else "never",
                     "5 consecutive failures")

        # Phase 3: recovery.
        fake.set("clean", True)
        fake.reopen()
        returned = time.monotonic()
        t_healthy = None
        transitions = []
        bound_healthy = m["open"] + 3 * m["interval"] + m["aggregation"] + 1
        while time.monotonic() - returned < bound_healthy + 15:
            view = provider_view(exporter)
            elapsed = time.monotonic() - returned
            if view is not None:
                state = (view["status"], view["circuit_breaker"])
                if not transitions or transitions[-1][1] != state:
                    transitions.append((round(elapsed, 2), state))
                if view["status"] == "healthy":
                    t_healthy = elapsed
                    break
            time.sleep(OUTAGE_POLL)
        breakers = []
        for _, (_, breaker) in transitions:
            if not breakers or breakers[-1] != breaker:
                breakers.append(breaker)
        print(f"\nphase 3: recovery; states (s after the provider returned, (status, breaker)): {transitions}")
        report.check("healthy after the provider returned", t_healthy is not None and t_healthy <= bound_healthy,
                     f"{t_healthy:.2f} s" if t_healthy is not None else "never",
                     f"rest of the open duration + 3 half-open successes + aggregation ≤ {bound_healthy:.1f} s")
        report.check("breaker states seen in between", breakers[:1] == ["open"] and "half_open" in breakers and breakers[-1] == "closed",
                     " → ".join(breakers), "open → half_open → closed")
        report.check("exporter alive", exporter.alive(), "yes" if exporter.alive() else f"exited {exporter.proc.returncode}", "alive")
        code, took = exporter.stop()
        report.check("graceful stop", code == 0, f"exit {code} in {took:.2f} s", "exit 0")
    finally:
        exporter.kill()
        fake.stop()
    total = time.monotonic() - started_wall
    print(f"\ntruth summary ({mode_name}, {total:.0f} s in all; exporter log {log}):")
    report.print()
    print(f"truth: {'PASS' if report.passed() else 'FAIL'}")
    if report.passed():
        shutil.rmtree(tmp, ignore_errors=True)
    return report.passed()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--short", action="store_true", help="the CI mode: 35 s of injected behaviour, 15 s window")
    parser.add_argument("--binary", default=default_binary())
    parser.add_argument("--duration", type=float, help="seconds of injected behaviour (default: 600, short 35)")
    args = parser.parse_args()
    ok = run(args.binary, "short" if args.short else "full", args.duration)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
