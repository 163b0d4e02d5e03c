#!/usr/bin/env python3
"""Quota pause: a provider that answers every request with 429 and `retry-after: 900` for 20 minutes.

An OpenAI-compatible fake provider (`openai-quota`, model gpt-4o-mini) answers every request with 429, OpenAI's
`insufficient_quota` body and `retry-after: 900`. The exporter watches it with a 5 m window and otherwise the
defaults (probe interval 60 s, jitter 5 s, timeout 10 s, aggregation every 30 s, default thresholds and breaker),
next to a real Prometheus with the shipped prometheus.yml, prometheus/rules.yml and prometheus/alerts.yml (scrape
and evaluation every 5 s, every `for:` as shipped: ProviderRateLimited 15m, ProviderDown 5m, ProviderProbesStale
5m) and a real Alertmanager with the shipped alertmanager.yml (its waits as shipped), every webhook pointed at a
receiver in this process. Started like integration/pack/stack.py starts its stack (it is that stack).

Checked over the 20 minutes:
- the exporter reports `rate_limited` at every poll of /api/providers/status/openai-quota (every second) from its
  first aggregation cycle on, and `provider_status_changes_total` is 1 for rate_limited and 0 for every other status
  at the end: the first cycle reported it and nothing changed it, between polls either;
- never `down`: not at a poll, not in `provider_status_changes_total{status="down"}`, not in Prometheus
  (`max_over_time(provider_status{status="down"}[run])` is 0);
- `ProviderRateLimited` fires in Prometheus (its `for:` after the first `rate_limited` scrape, within two
  evaluations) and reaches the ticket webhook;
- `ProviderDown` is never pending or firing (Prometheus' alerts at every poll, `ALERTS` over the whole run) and
  never notified; no page at all is sent;
- `ProviderProbesStale` never pending or firing: `provider_next_probe_timestamp_seconds` is at or after
  `provider_retry_after_until_timestamp_seconds` at every /metrics poll while a wait is in force, and never
  overdue by the alert's margin (2 × interval + 120 s);
- the probe sends exactly what the pauses allow: one request at start-up and one each time a 900 s wait ends,
  2 in 20 minutes (`provider_probe_requests_total` and the requests the fake received).

`--short` (the CI mode, about 2 minutes) scales time by 1/10: window 30 s, `retry-after: 90`, interval 6 s, jitter
0.5 s, timeout 1 s, aggregation 3 s, 120 s run, every `for:` a tenth of the shipped one (by rewriting the rule file
copy as stack.py does), Alertmanager's waits shortened as stack.py does, scrapes every second; the same checks, the
run ending (at most 120 s) once the second probe has been answered and ProviderRateLimited's ticket has arrived. The
alert's 120 s staleness margin is not scaled, so in the short run the next-probe check above is what shows that the
pause moves the next probe.

Usage: quota_pause.py [--short] [--binary PATH] [--keep]; exit status 0 when every check passes.
"""
import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "pack"))

from common import Report, default_binary, parse_samples, request, sample  # noqa: E402
from fakes import Answer, FakeProvidersProcess  # noqa: E402
from stack import ExporterSpec, Stack, StackStartError  # noqa: E402

import yaml  # noqa: E402

PROVIDER = "openai-quota"
MODEL = "gpt-4o-mini"
API_KEY = "sk-quota-00000000000000000abcd"
BODY_QUOTA = json.dumps({"error": {
    "message": "You exceeded your current quota, please check your plan and billing details. For more information "
               "on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
    "type": "insufficient_quota", "param": None, "code": "insufficient_quota"}}).encode()
STALE_MARGIN = 120  # seconds, the constant of ProviderProbesStale's expression

MODES = {
    "full": dict(duration=1200, retry_after=900, window="5m", scrape="5s", poll=1.0, metrics_every=5.0,
                 for_scale=None, interval=60.0, extra=""),
    "short": dict(duration=120, retry_after=90, window="30s", scrape="1s", poll=0.5, metrics_every=1.0,
                  for_scale=0.1, interval=6.0, stop_early=True,
                  extra="  aggregation_interval: 3s\n  interval: 6s\n  jitter: 500ms\n  timeout: 1s\n"),
}


class Quota:
    """Every request: 429, OpenAI's insufficient_quota body, retry-after."""

    def __init__(self, retry_after):
        self.retry_after = retry_after

    def __call__(self, provider, path, number):
        return Answer(status=429, delay=0.02, headers={"retry-after": str(self.retry_after)}, body=BODY_QUOTA)


def config_text(base_url, m):
    return f"""global:
  window: {m['window']}
{m['extra']}providers:
  - name: {PROVIDER}
    kind: openai
    base_url: {base_url}
    api_key: {API_KEY}
    models: [{MODEL}]
"""


def seconds_of(duration):
    total = 0.0
    for value, unit in re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)", duration):
        total += float(value) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}[unit]
    return total


def scaled_for_durations(scale):
    """Every alert's shipped `for:` times `scale`, as Prometheus durations."""
    root = Path(HERE).parents[1]
    out = {}
    for rel in ("prometheus/alerts.yml", "prometheus/rules.yml"):
        for group in yaml.safe_load((root / rel).read_text())["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    out[rule["alert"]] = f"{max(1, round(seconds_of(rule.get('for', '0s')) * scale))}s"
    return out


class Poller(threading.Thread):
    """Polls the exporter's API from its readiness on: (seconds since start, status, conditions)."""

    def __init__(self, stack, started, period):
        super().__init__(daemon=True, name="poller")
        self.stack, self.started, self.period = stack, started, period
        self.polls = []
        self.ready_at = None
        self.stop_event = threading.Event()

    def run(self):
        while not self.stop_event.is_set():
            addr = self.stack.exporters[0].addr
            if addr:
                try:
                    if self.ready_at is None:
                        if request(f"http://{addr}/-/ready", timeout=2)[0] == 200:
                            self.ready_at = time.monotonic() - self.started
                    if self.ready_at is not None:
                        code, _, body = request(f"http://{addr}/api/providers/status/{PROVIDER}", timeout=5)
                        if code == 200:
                            view = json.loads(body)
                            self.polls.append((time.monotonic() - self.started, view["status"], view.get("conditions")))
                except OSError:
                    pass
            self.stop_event.wait(self.period if self.ready_at is not None else 0.05)


def _evidence_complete(stack, fake, started, m):
    """Short mode: the second probe answered (and a few seconds to see what follows it) and the ticket received."""
    served = fake.served()
    if len(served) < 2 or time.monotonic() - served[1].arrived < 5:
        return False
    return any(p == "/ticket" and a["labels"].get("alertname") == "ProviderRateLimited" and a["status"] == "firing"
               for p, a in stack.receiver.alerts())


def run(binary, mode_name, keep=False):
    m = MODES[mode_name]
    report = Report()
    fake = FakeProvidersProcess({PROVIDER: [MODEL]}, behaviour=Quota(m["retry_after"]))
    workdir = Path(tempfile.mkdtemp(prefix="quota-pause-"))
    config = workdir / "config.yml"
    config.write_text(config_text(fake.base_url(PROVIDER), m))
    for_durations = scaled_for_durations(m["for_scale"]) if m["for_scale"] else {}
    stack = Stack(workdir / "stack", exporters=[ExporterSpec("exporter", [
        "--config.file", str(config), "--history.path", ":memory:", "--log.level", "info"])],
        expected={PROVIDER: "rate_limited"}, for_durations=for_durations,
        default_for=None, interval=m["scrape"], shorten_alertmanager=bool(m["for_scale"]), binary=binary,
        settle_timeout=90)
    rate_for = seconds_of(for_durations.get("ProviderRateLimited", "15m"))
    print(f"quota_pause: mode {mode_name}: {m['duration']} s, retry-after {m['retry_after']} s, window {m['window']}, "
          f"scrape/evaluation {m['scrape']}, ProviderRateLimited for {rate_for:g} s, fake provider on :{fake.port}",
          flush=True)
    started = time.monotonic()
    poller = Poller(stack, started, m["poll"])
    poller.start()
    seen_alerts = {}  # alertname -> {state: first seen (s)}
    metrics = []  # (t, next_probe, retry_after_until, probe_requests, wall now)
    ok = False
    try:
        try:
            stack.start()
        except StackStartError as e:
            print(f"quota_pause: the stack did not start: {e}")
            report.check("stack started", False, str(e).splitlines()[0], "started")
            raise
        addr = stack.exporter_addr
        print(f"quota_pause: exporter on {addr} ready after {poller.ready_at or 0:.1f} s; Prometheus on "
              f"{stack.prometheus_addr} from {time.monotonic() - started:.1f} s; Alertmanager on {stack.alertmanager_addr}",
              flush=True)
        prom_started = time.monotonic() - started
        next_metrics = 0.0
        last_progress = time.monotonic()
        while time.monotonic() - started < m["duration"]:
            now = time.monotonic()
            if m.get("stop_early") and _evidence_complete(stack, fake, started, m):
                break
            if now >= next_metrics:
                code, _, body = request(f"http://{addr}/metrics", timeout=5)
                if code == 200:
                    s = parse_samples(body.decode())
                    metrics.append((now - started,
                                    sample(s, "provider_next_probe_timestamp_seconds", provider=PROVIDER),
                                    sample(s, "provider_retry_after_until_timestamp_seconds", provider=PROVIDER),
                                    sample(s, "provider_probe_requests_total", provider=PROVIDER), time.time(),
                                    sample(s, "provider_probe_interval_seconds", provider=PROVIDER)))
                for alert in stack.alerts():
                    name = alert["labels"].get("alertname")
                    seen_alerts.setdefault(name, {}).setdefault(alert["state"], round(now - started, 1))
                next_metrics = now + m["metrics_every"]
            if now - last_progress >= 60:
                firing = sorted(n for n, st in seen_alerts.items() if "firing" in st)
                print(f"  … {now - started:.0f} s: status {poller.polls[-1][1] if poller.polls else '?'}, "
                      f"probe requests {metrics[-1][3] if metrics else '?'}, alerts fired so far {firing}", flush=True)
                last_progress = now
            time.sleep(0.25)
        end = time.monotonic() - started
        poller.stop_event.set()
        poller.join(timeout=10)

        # ------------------------------------------------------------------ exporter
        polls = poller.polls
        statuses = {}
        for _, status, _ in polls:
            statuses[status] = statuses.get(status, 0) + 1
        not_limited = [(round(t, 1), st) for t, st, _ in polls if st != "rate_limited"]
        with_wait = sum(1 for _, _, c in polls if c and "retry_after" in c)
        report.check("rate_limited at every poll from the first cycle on",
                     polls and not not_limited and polls[0][0] <= (poller.ready_at or 0) + m["poll"] + 1,
                     f"{len(polls)} polls from {polls[0][0]:.1f} s (ready at {poller.ready_at:.1f} s): {statuses}; "
                     f"condition retry_after at {with_wait}" if polls else "no polls",
                     "rate_limited at all")
        code, _, body = request(f"http://{addr}/metrics", timeout=5)
        final = parse_samples(body.decode())
        changes = {st: int(sample(final, "provider_status_changes_total", provider=PROVIDER, status=st) or 0)
                   for st in ("healthy", "degraded", "rate_limited", "unauthorized", "down")}
        report.check("provider_status_changes_total: rate_limited once, nothing else",
                     changes["rate_limited"] == 1 and sum(changes.values()) == 1, str(changes),
                     "rate_limited 1, the others 0")
        report.check("never down (polls, provider_status_changes_total{status=\"down\"})",
                     changes["down"] == 0 and all(st != "down" for _, st, _ in polls),
                     f"{changes['down']} changes to down, {statuses.get('down', 0)} polls down", "0 and 0")

        # next probe moves to the retry-after deadline
        waits = [(t, nxt, until) for t, nxt, until, _, _, _ in metrics if until]
        early = [(round(t, 1), nxt, until) for t, nxt, until in waits if nxt is None or nxt < until - 0.001]
        overdue = [(round(t, 1), round(wall - nxt, 1)) for t, nxt, _, _, wall, iv in metrics
                   if nxt and wall - nxt > 2 * (iv or m["interval"]) + STALE_MARGIN]
        deadlines = sorted({round(until) for _, _, until in waits})
        report.check("next probe at or after the retry-after deadline, never overdue",
                     waits and not early and not overdue,
                     f"{len(waits)} of {len(metrics)} /metrics polls with a wait in force, "
                     f"{len(early)} with the next probe before its deadline, {len(overdue)} overdue; "
                     f"{len(deadlines)} deadline(s)", "next ≥ deadline; overdue never")

        # probes
        served = fake.served()
        requests_total = int(sample(final, "provider_probe_requests_total", provider=PROVIDER) or 0)
        first = served[0].arrived - started if served else None
        allowed = (int((end - first) // m["retry_after"]) + 1) if first is not None else None
        gaps = [round(b.arrived - a.arrived, 1) for a, b in zip(served, served[1:])]
        report.check("probe requests: what the pauses allow",
                     first is not None and requests_total == allowed == len(served),
                     f"exporter {requests_total}, fake received {len(served)} (first at {first:.1f} s, "
                     f"then after {gaps} s)" if first is not None else "none",
                     f"{allowed} (1 at start-up + 1 per {m['retry_after']} s wait that ended)")

        # ------------------------------------------------------------------ Prometheus and Alertmanager
        span = f"{int(end) + 5}s"
        down_max = stack.query(f'max_over_time(provider_status{{provider="{PROVIDER}",status="down"}}[{span}])')
        down_value = max((float(r["value"][1]) for r in down_max), default=None)
        report.check("Prometheus: provider_status{status=\"down\"} 0 over the run", down_value == 0,
                     f"max_over_time = {down_value}", "0")
        alerts_range = {}
        for name in ("ProviderRateLimited", "ProviderDown", "ProviderProbesStale"):
            res = stack.query(f'count_over_time(ALERTS{{alertname="{name}"}}[{span}])')
            alerts_range[name] = {r["metric"].get("alertstate"): int(float(r["value"][1])) for r in res}
        fired = seen_alerts.get("ProviderRateLimited", {}).get("firing")
        pending = seen_alerts.get("ProviderRateLimited", {}).get("pending")
        first_limited_scrape = prom_started
        report.check("ProviderRateLimited fires (Prometheus)",
                     fired is not None and alerts_range["ProviderRateLimited"].get("firing", 0) > 0,
                     f"pending at {pending} s, firing at {fired} s (Prometheus up at {first_limited_scrape:.1f} s; "
                     f"for {rate_for:g} s); ALERTS samples {alerts_range['ProviderRateLimited']}",
                     "firing")
        tickets = [(at - started, a) for at, p, a in stack.receiver.timed_alerts()
                   if p == "/ticket" and a["labels"].get("alertname") == "ProviderRateLimited" and a["status"] == "firing"]
        report.check("ProviderRateLimited reaches the ticket webhook", bool(tickets),
                     f"first at {tickets[0][0]:.1f} s" if tickets else "never", "a firing notification")
        report.check("ProviderDown never pending or firing",
                     "ProviderDown" not in seen_alerts and not alerts_range["ProviderDown"],
                     f"polled: {seen_alerts.get('ProviderDown', {})}, ALERTS: {alerts_range['ProviderDown']}", "never")
        report.check("ProviderProbesStale never pending or firing",
                     "ProviderProbesStale" not in seen_alerts and not alerts_range["ProviderProbesStale"],
                     f"polled: {seen_alerts.get('ProviderProbesStale', {})}, ALERTS: {alerts_range['ProviderProbesStale']}",
                     "never")
        notified = sorted({(p, a["labels"].get("alertname"), a["status"]) for p, a in stack.receiver.alerts()})
        pages = [n for n in notified if n[0] == "/pager"]
        downs = [n for n in notified if n[1] == "ProviderDown"]
        report.check("no ProviderDown notification, no page", not pages and not downs,
                     f"pager: {pages}; ProviderDown: {downs}", "none")
        alive = stack.procs["exporter"].poll() is None
        report.check("exporter alive at the end", alive, "yes" if alive else "exited", "alive")
        print(f"\nquota_pause: alerts seen in Prometheus (state: first seen, s): {seen_alerts}")
        print(f"quota_pause: webhook notifications (receiver, alert, status): {notified}")
        print(f"quota_pause: retry-after deadlines (Unix s) {deadlines}; probes at "
              f"{[round(s.arrived - started, 1) for s in served]} s")
        ok = report.passed()
    except StackStartError:
        ok = False
    finally:
        poller.stop_event.set()
        stack.stop()
        fake.stop()
    print(f"\nquota_pause summary ({mode_name}, {time.monotonic() - started:.0f} s in all; files {workdir}):")
    report.print()
    print(f"quota_pause: {'PASS' if ok else 'FAIL'}")
    if ok and not keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--short", action="store_true", help="the CI mode: time scaled by 1/10, about 2 minutes")
    parser.add_argument("--binary", default=default_binary())
    parser.add_argument("--keep", action="store_true", help="keep the stack's files and logs")
    args = parser.parse_args()
    sys.exit(0 if run(args.binary, "short" if args.short else "full", args.keep) else 1)


if __name__ == "__main__":
    main()
