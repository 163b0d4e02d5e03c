#!/usr/bin/env python3
"""Incident replay: the incidents real LLM APIs have, over ~1 % random background errors, against the exporter.

One OpenAI-compatible fake provider (`openai-replay`, models gpt-4o-mini, gpt-4.1-mini and o4-mini, all in its
/models list) is probed by the exporter with completion probes on: every probe is one `GET /models` and, when it
answers, one `POST /chat/completions` per model, all three at once. What each request gets is decided in the fake
by a timeline of phases, by the time the request arrives. In every phase each request also fails with a 500 at
random, with probability 1 %, drawn from a seeded generator (the seed is printed; `--seed N` replays the same draws:
the n-th request of each stream, the model list or one model's completions, gets the same answer).

Answers, as OpenAI sends them:
- quiet: 200; model list after 30 ms, completions after 120 ms; every answer carries OpenAI's `x-ratelimit-*`
  headers with plenty left (9,999 of 10,000 requests);
- 5xx wave: every request 500 or 503 (OpenAI's `server_error` bodies); the outage comes in two waves with a
  quiet gap shorter than the window between them;
- 429 cascade: every request 429 `rate_limit_exceeded`, `x-ratelimit-remaining-requests: 0` and a `retry-after`
  shorter than the probe interval (`retry-after: 2`; short mode `retry-after: 1`): back-pressure, not a pause;
- latency degradation: completions answer after 3 s (short mode 0.75 s), the model list as usual;
- one-model outage: gpt-4.1-mini's completions answer 500 while the list and the other models answer;
- revoked key: every request 401 with OpenAI's `invalid_api_key` body.

Configuration (full mode; `--short` divides every time by 4), chosen so that the replay takes ten minutes and each
phase has one expected status with a bound from the status contract (docs/reliability.md, "Incident replay"):
- probe interval 4 s, no jitter, timeout 3.5 s: a 3 s completion still answers;
- window 40 s (10 probes, 30 results) and aggregation every 1 s, status_hold_cycles 2 (the default);
- `completion_p95_latency: 2s`: the quiet completions take 120 ms, so a 3 s latency is a degradation (the default
  10 s is meant for real completions); `p95_latency` (model list) stays at its default of 1 s;
- breaker: 5 failures, open for 40 s (one window), 3 successes to close: the 16 s waves hold at most 4 probes of
  the regular cadence (confirmation probes do not count), so the breaker stays closed and the status leaves `down`
  in the gap: each wave's time to `down` is measured from a status that is not `down`.

Phases (seconds, full / short), each quiet stretch at least one window + hold + an interval long:
  quiet from start-up 60 / 15; 5xx wave 16 / 4; gap 20 / 5; 5xx wave 16 / 4; quiet 72 / 16.75; 429 cascade 24 / 6;
  quiet; latency 30 / 7.5; quiet; one-model outage 36 / 9; quiet; revoked key 20 / 5; quiet.
Total 582 s (short 139 s).

Checked, from polls of `/api/providers/status/openai-replay` and `/metrics` every 250 ms (short 125 ms); each bound
gets the polling period + 150 ms on top:
- quiet from start-up: `healthy` at every poll, no status change after the first report;
- quiet after an incident: `healthy` again within window + (hold + 1) cycles + one interval of the incident's end
  ("settle"), then `healthy` at every poll and no change (`provider_status_changes_total`, which counts changes
  between polls too) to the end of the stretch;
- each 5xx wave: `down` within 2 × interval + 1 cycle of the wave's start, and `down` to its end; in the gap the
  status leaves `down` within an interval + (hold + 1) cycles. A background failure served in the gap before that is
  the provider failing again: the breaker may open on it and keep `down` through the gap, and the gap is then
  reported, not judged;
- 429 cascade: `rate_limited` within an interval + (hold + 1) cycles, then to the end; never `down`;
- latency: `degraded` (condition `latency`) within 2 × interval + the latency + (hold + 1) cycles; never `down`.
  A background failure served in the phase before that makes the status wait for its confirmation (at most half an
  interval, then a probe as slow as the phase) and hold again: the bound gains interval / 2 + the latency + hold
  cycles;
- one-model outage: `degraded` within (its `outage_after_failures`) × interval + 120 ms + (hold + 1) cycles (by the
  error rate once it is significantly above 5 %, or by the model's outage, whichever comes first); gpt-4.1-mini's
  `model_availability` 0 within (its `outage_after_failures` at the phase start) × interval + 120 ms + 1 cycle,
  and from then on (or from `degraded` on, when the status's hold turns it after the model): `degraded`, exactly that
  model at 0, the others and `provider_availability` at 1; never `down`;
- revoked key: `unauthorized` within an interval + 1 cycle, then to the end; never `down`;
- error share over the quiet stretches (after settling; the start-up stretch from a full window on) and over the
  whole run: the exported
  `provider_result_failures_total / provider_results_total` against the share the fake served (one result per
  completion, three failed results per failed model list), ±3 points. Over the quiet stretches, where a single
  failed model list is 3 points of the results, a stretch's edges are uncertain: an answer served within a
  completion's service time + an aggregation cycle + a poll + 0.25 s of an edge may be counted on either side of
  it. The exported counts may then instead lie between what the fake served for certain inside the stretches and
  what it served up to that margin around them;
- p50 over the quiet stretches: the API's exact `p50_latency_seconds` at every poll against the fake's own p50
  service time of the completions it answered in that stretch and the window before it, ±5 ms (the start-up
  stretch from a full window on, as truth.py does: until then the p50 is that of the first probe, whose latency
  includes opening the connections);
- the exporter stays up and stops with exit 0.

A table (phase, expected, observed, time to status, bound, changes, PASS/FAIL) is printed; on a failure, the
transitions, the conditions and the failures the fake served in the window before each unexpected change, and the
exporter's status-change log lines. Exit status 0 when every check passes.

Usage: replay.py [--short] [--seed N] [--binary PATH] [--keep]
"""
import argparse
import json
import os
import random
import re
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import ExporterProcess, default_binary, parse_samples, sample  # noqa: E402
from fakes import Answer, FakeProvidersProcess  # noqa: E402

PROVIDER = "openai-replay"
MODELS = ["gpt-4o-mini", "gpt-4.1-mini", "o4-mini"]
BROKEN_MODEL = "gpt-4.1-mini"
API_KEY = "sk-replay-0000000000000000abcd"
BACKGROUND = 0.01
LIST_DELAY = 0.030
CHAT_DELAY = 0.120
FAIL_DELAY = 0.020
ERROR_SHARE_TOLERANCE = 0.03
P50_TOLERANCE = 0.005
STATUSES = ["healthy", "degraded", "rate_limited", "unauthorized", "down"]

MODES = {
    "full": dict(scale=1.0, interval=4.0, timeout=3.5, window=40.0, aggregation=1.0, hold=2, open=40.0,
                 slow=3.0, chat_threshold=2.0, retry_after=2, poll=0.25, observe=25.0),
    "short": dict(scale=0.25, interval=1.0, timeout=0.875, window=10.0, aggregation=0.25, hold=2, open=10.0,
                  slow=0.75, chat_threshold=0.5, retry_after=1, poll=0.125, observe=5.0),
}

# (name, kind, seconds at scale 1); a quiet stretch of None lasts settle + observe.
PHASES = [
    ("quiet from start-up", "startup", 60),
    ("5xx wave 1", "5xx", 16),
    ("gap between the waves", "gap", 20),
    ("5xx wave 2", "5xx", 16),
    ("quiet after the 5xx outage", "quiet", None),
    ("429 cascade", "429", 24),
    ("quiet after the 429 cascade", "quiet", None),
    ("latency degradation", "slow", 30),
    ("quiet after the latency", "quiet", None),
    (f"one-model outage ({BROKEN_MODEL})", "model", 36),
    ("quiet after the model outage", "quiet", None),
    ("revoked key", "401", 20),
    ("quiet after the revoked key", "quiet", None),
]

OK_LIMITS = {
    "x-ratelimit-limit-requests": "10000", "x-ratelimit-remaining-requests": "9999",
    "x-ratelimit-reset-requests": "6ms", "x-ratelimit-limit-tokens": "30000000",
    "x-ratelimit-remaining-tokens": "29999985", "x-ratelimit-reset-tokens": "0s",
}
BODY_500 = json.dumps({"error": {
    "message": "The server had an error while processing your request. Sorry about that!",
    "type": "server_error", "param": None, "code": None}}).encode()
BODY_503 = json.dumps({"error": {
    "message": "The engine is currently overloaded, please try again later.",
    "type": "server_error", "param": None, "code": None}}).encode()
BODY_401 = json.dumps({"error": {
    "message": "Incorrect API key provided: sk-...abcd. You can find your API key at "
               "https://platform.openai.com/account/api-keys.",
    "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}}).encode()


def body_429(model):
    return json.dumps({"error": {
        "message": f"Rate limit reached for {model or 'requests'} in organization org-replay on requests per min "
                   "(RPM): Limit 10000, Used 10000, Requested 1. Please try again in 6ms. Visit "
                   "https://platform.openai.com/account/rate-limits to learn more.",
        "type": "requests", "param": None, "code": "rate_limit_exceeded"}}).encode()


@dataclass
class Phase:
    name: str
    kind: str
    start: float
    end: float

    @property
    def seconds(self):
        return self.end - self.start


def build_phases(m):
    settle = settle_seconds(m)
    phases, t = [], 0.0
    for name, kind, seconds in PHASES:
        length = settle + m["observe"] if seconds is None else seconds * m["scale"]
        if kind == "slow":
            name = f"{m['slow']:g} s latency degradation"
        phases.append(Phase(name, kind, round(t, 3), round(t + length, 3)))
        t += length
    return phases


def settle_seconds(m):
    """After an incident: its failures leave the window, the hold cycles pass, a probe in flight lands."""
    return m["window"] + (m["hold"] + 1) * m["aggregation"] + m["interval"]


class Timeline:
    """The fake's behaviour: answers by phase (the request's arrival time since `t0`) and the background draw.
    Runs in the fake's child process; `t0` (time.monotonic()) is set by the driver when the exporter starts."""

    wants_request = True

    def __init__(self, phases, m, seed):
        self.phases = [(p.start, p.end, p.kind) for p in phases]
        self.m = m
        self.seed = seed
        self.t0 = None
        self._lock = threading.Lock()
        self._drawn = {}

    def kind_at(self, offset):
        for start, end, kind in self.phases:
            if start <= offset < end:
                return kind
        return "quiet"

    def draw(self, stream):
        """The stream's next number in [0, 1): the n-th draw of a stream depends only on the seed, so the
        concurrent completions of one probe get the same answers whatever order they arrive in."""
        with self._lock:
            n = self._drawn.get(stream, 0)
            self._drawn[stream] = n + 1
        return random.Random(f"{self.seed}:{stream}:{n}").random()

    def __call__(self, provider, path, number, request):
        kind = "quiet" if self.t0 is None else self.kind_at(time.monotonic() - self.t0)
        listing = path.endswith("/models")
        model = request.model
        usual = LIST_DELAY if listing else CHAT_DELAY
        x = self.draw("list" if listing else f"chat:{model}")
        if kind == "5xx":
            return (Answer(500, FAIL_DELAY, dict(OK_LIMITS), BODY_500) if x < 0.5
                    else Answer(503, FAIL_DELAY, dict(OK_LIMITS), BODY_503))
        if x < BACKGROUND:
            return Answer(500, usual, dict(OK_LIMITS), BODY_500)
        if kind == "429":
            limits = dict(OK_LIMITS, **{"x-ratelimit-remaining-requests": "0",
                                        "x-ratelimit-reset-requests": f"{self.m['retry_after']}s",
                                        "retry-after": str(self.m["retry_after"])})
            return Answer(429, FAIL_DELAY, limits, body_429(model))
        if kind == "401":
            return Answer(401, FAIL_DELAY, {}, BODY_401)
        if kind == "slow" and not listing:
            return Answer(200, self.m["slow"], dict(OK_LIMITS))
        if kind == "model" and model == BROKEN_MODEL:
            return Answer(500, CHAT_DELAY, dict(OK_LIMITS), BODY_500)
        return Answer(200, usual, dict(OK_LIMITS))


def config_text(base_url, m):
    ms = lambda s: f"{int(round(s * 1000))}ms"  # noqa: E731
    return f"""global:
  aggregation_interval: {ms(m['aggregation'])}
  window: {ms(m['window'])}
  status_hold_cycles: {m['hold']}
  interval: {ms(m['interval'])}
  timeout: {ms(m['timeout'])}
  jitter: 0s
  max_probes_per_hour: 100000
  completion_probe: true
  thresholds:
    completion_p95_latency: {ms(m['chat_threshold'])}
  breaker:
    failure_threshold: 5
    open_duration: {ms(m['open'])}
    success_threshold: 3
providers:
  - name: {PROVIDER}
    kind: openai
    base_url: {base_url}
    api_key: {API_KEY}
    models: [{", ".join(MODELS)}]
"""


@dataclass
class Poll:
    t: float  # seconds since t0
    status: str
    conditions: list
    breaker: str
    available: bool
    models: dict  # model -> available (API)
    outage_after: dict  # model -> outage_after_failures (API)
    p50: float
    error_rate: float
    model_availability: dict = field(default_factory=dict)  # /metrics
    provider_availability: float = None
    changes: dict = field(default_factory=dict)  # status -> provider_status_changes_total
    results: float = 0
    failures: dict = field(default_factory=dict)  # reason -> provider_result_failures_total{source=probe}

    @property
    def changes_total(self):
        return sum(self.changes.values())


def take_poll(exporter, t0):
    status, view = exporter.json(f"/api/providers/status/{PROVIDER}", timeout=5)
    text = exporter.get("/metrics", timeout=5)[2].decode()
    t = time.monotonic() - t0
    if status != 200:
        return None
    samples = parse_samples(text)
    poll = Poll(
        t=t, status=view["status"], conditions=list(view.get("conditions") or []),
        breaker=view.get("circuit_breaker"), available=bool(view.get("available")),
        models={mv["name"]: mv["available"] for mv in view.get("models") or []},
        outage_after={mv["name"]: mv.get("outage_after_failures") for mv in view.get("models") or []},
        p50=view.get("p50_latency_seconds"), error_rate=view.get("error_rate"))
    for model in MODELS:
        poll.model_availability[model] = sample(samples, "model_availability", provider=PROVIDER, model=model)
    poll.provider_availability = sample(samples, "provider_availability", provider=PROVIDER)
    for s in STATUSES:
        poll.changes[s] = sample(samples, "provider_status_changes_total", provider=PROVIDER, status=s) or 0
    poll.results = sample(samples, "provider_results_total", provider=PROVIDER, source="probe") or 0
    for (name, labels), value in samples.items():
        d = dict(labels)
        if name == "provider_result_failures_total" and d.get("provider") == PROVIDER and d.get("source") == "probe":
            poll.failures[d["reason"]] = value
    return poll


REASON_OF_STATUS = {401: "auth", 403: "auth", 429: "rate_limited", 402: "rate_limited"}


def reason_of(status):
    if status in REASON_OF_STATUS:
        return REASON_OF_STATUS[status]
    if 500 <= status < 600:
        return "http_5xx"
    if 400 <= status < 500:
        return "http_4xx"
    return None


def served_results(served, t0, a, b):
    """(results, {reason: failed results}) the fake's answers arriving in [a, b) make: a failed model list fails
    every model of the probe (three results), each completion is one result."""
    results, failed = 0, {}
    for s in served:
        t = s.arrived - t0
        if not (a <= t < b):
            continue
        listing = s.path.endswith("/models")
        if listing and s.status == 200:
            continue
        count = len(MODELS) if listing else 1
        results += count
        reason = reason_of(s.status)
        if reason:
            failed[reason] = failed.get(reason, 0) + count
    return results, failed


class Table:
    def __init__(self):
        self.rows = []

    def add(self, phase, expected, observed, to_status, bound, changes, ok):
        self.rows.append((phase, expected, observed, to_status, bound, changes, bool(ok)))
        return ok

    def passed(self):
        return all(r[-1] for r in self.rows)

    def print(self):
        head = ("phase", "expected", "observed", "time to status", "bound", "changes", "")
        rows = [head] + [(*r[:-1], "PASS" if r[-1] else "FAIL") for r in self.rows]
        widths = [min(60, max(len(str(r[i])) for r in rows)) for i in range(len(head))]
        for n, r in enumerate(rows):
            cells = [str(c) for c in r]
            print("  " + "  ".join(c.ljust(w) if len(c) <= w else c for c, w in zip(cells, widths)).rstrip())
            if n == 0:
                print("  " + "  ".join("-" * w for w in widths))


def fmt_s(x):
    return "never" if x is None else f"{x:.2f} s"


def sequence(polls):
    """Statuses at the polls, with the time each began: 'healthy 0.0, down 6.1'."""
    out = []
    for p in polls:
        if not out or out[-1][1] != p.status:
            out.append((p.t, p.status))
    return out


def seq_text(seq, origin, limit=6):
    parts = [f"{status}@{t - origin:.1f}" for t, status in seq]
    if len(parts) > limit:
        parts = parts[:limit - 1] + [f"… ({len(parts) - limit + 1} more)"]
    return " → ".join(parts) if parts else "no polls"


def first_at(polls, predicate, after):
    for p in polls:
        if p.t >= after and predicate(p):
            return p.t
    return None


def holds_from(polls, predicate, start):
    """The first poll time from which `predicate` holds at every later poll of `polls`, None if never."""
    since = None
    for p in polls:
        if p.t < start:
            continue
        if predicate(p):
            if since is None:
                since = p.t
        else:
            since = None
    return since


def changes_between(all_polls, a, b):
    """provider_status_changes_total growth between the last poll before `a` and the last one before `b`."""
    before = [p for p in all_polls if p.t <= a]
    upto = [p for p in all_polls if p.t <= b]
    if not upto:
        return 0
    start = before[-1].changes_total if before else 1  # the first report counts as one change
    return int(upto[-1].changes_total - start)


def log_changes(log_path, wall0):
    """The exporter's "provider status changed" lines as (seconds since t0, from, to, line)."""
    out = []
    try:
        with open(log_path, errors="replace") as f:
            for line in f:
                if "provider status changed" not in line:
                    continue
                m = re.search(r"ts=(\S+)", line)
                if not m:
                    continue
                ts = datetime.fromisoformat(m.group(1).replace("Z", "+00:00")).timestamp()
                fr = re.search(r"from=(\S+)", line)
                to = re.search(r"to=(\S+)", line)
                out.append((ts - wall0, fr.group(1) if fr else "?", to.group(1) if to else "?", line.rstrip()))
    except OSError:
        pass
    return out


def run(binary, mode_name, seed, keep=False):
    m = dict(MODES[mode_name])
    phases = build_phases(m)
    total = phases[-1].end
    settle = settle_seconds(m)
    slack = m["poll"] + 0.15
    timeline = Timeline(phases, m, seed)
    fake = FakeProvidersProcess({PROVIDER: MODELS}, behaviour=timeline)
    tmp = tempfile.mkdtemp(prefix="replay-")
    config = os.path.join(tmp, "config.yml")
    with open(config, "w") as f:
        f.write(config_text(fake.base_url(PROVIDER), m))
    log = os.path.join(tmp, "exporter.log")
    print(f"replay: mode {mode_name}, seed {seed} (replay it with --seed {seed}); {total:.0f} s of timeline; "
          f"interval {m['interval']:g} s, timeout {m['timeout']:g} s, window {m['window']:g} s, aggregation "
          f"{m['aggregation']:g} s, hold {m['hold']} cycles, breaker open {m['open']:g} s; polls every {m['poll']} s",
          flush=True)
    for p in phases:
        print(f"  {p.start:7.2f} – {p.end:7.2f} s  {p.name}")
    t0 = time.monotonic()
    wall0 = time.time()
    fake.set("t0", t0)
    exporter = ExporterProcess(binary, ["--config.file", config, "--history.path", ":memory:", "--log.level", "info"],
                               log)
    table = Table()
    polls = []
    served = []
    alive = stopped = final = None
    try:
        exporter.wait_ready()
        print(f"replay: exporter pid {exporter.pid} on :{exporter.port} ready after {time.monotonic() - t0:.2f} s, "
              f"fake provider on :{fake.port}; exporter log {log}", flush=True)
        next_tick = time.monotonic()
        current = 0
        while True:
            now = time.monotonic()
            if now - t0 >= total:
                break
            try:
                poll = take_poll(exporter, t0)
            except (OSError, ValueError) as e:
                if not exporter.alive():
                    print(f"replay: the exporter exited ({exporter.proc.returncode}) at {now - t0:.1f} s", flush=True)
                    break
                print(f"replay: poll failed at {now - t0:.1f} s: {e}", flush=True)
                poll = None
            if poll is not None:
                polls.append(poll)
                while current < len(phases) - 1 and poll.t >= phases[current].end:
                    current += 1
            if len(polls) >= 2 and int(polls[-1].t // 60) != int(polls[-2].t // 60):
                print(f"  … {polls[-1].t:.0f} s: {phases[current].name}: {polls[-1].status}",
                      flush=True)
            next_tick += m["poll"]
            delay = next_tick - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                next_tick = time.monotonic()
        alive = exporter.alive()
        try:
            final = take_poll(exporter, t0) if alive else None
        except (OSError, ValueError):
            final = None
        code, took = exporter.stop()
        stopped = (code, took)
        served = fake.served()
    finally:
        exporter.kill()
        fake.stop()

    # ---------------------------------------------------------------- per phase
    flaps = 0
    downs = []  # (wave, time to down, time it left down)
    for i, ph in enumerate(phases):
        inside = [p for p in polls if ph.start <= p.t < ph.end]
        seq = sequence(inside)
        observed = seq_text(seq, ph.start)
        changes = changes_between(polls, ph.start, ph.end)
        never_down = all(p.status != "down" for p in inside)
        if ph.kind == "startup":
            bad = [p for p in inside if p.status != "healthy"]
            changes = changes_between(polls, 0, ph.end)
            flaps += changes
            table.add(ph.name, "healthy at every poll, 0 changes", observed, "-", "-", changes,
                      inside and not bad and changes == 0)
        elif ph.kind == "quiet":
            healthy_from = holds_from(inside, lambda p: p.status == "healthy", ph.start)
            observe_from = ph.start + settle
            late = [p for p in inside if p.t >= observe_from]
            late_changes = changes_between(polls, observe_from, ph.end)
            flaps += late_changes
            to_healthy = None if healthy_from is None else healthy_from - ph.start
            ok = (late and all(p.status == "healthy" for p in late) and late_changes == 0
                  and to_healthy is not None and to_healthy <= settle + slack)
            table.add(ph.name, f"healthy after ≤ settle, then 0 changes", observed, f"healthy {fmt_s(to_healthy)}",
                      f"settle {settle:.2f} s", f"{changes} ({late_changes} after settle)", ok)
        elif ph.kind == "gap":
            left = first_at(inside, lambda p: p.status != "down", ph.start)
            bound = m["interval"] + (m["hold"] + 1) * m["aggregation"]
            to_left = None if left is None else left - ph.start
            status_then = next((p.status for p in inside if p.t == left), None)
            if downs:
                downs[-1][2] = to_left
            ok = to_left is not None and to_left <= bound + slack
            bound_text = f"{bound:.2f} s"
            # A background failure served in the gap before the status left `down` is the provider failing again
            # right after an outage: the breaker may open on it and keep the status down through the gap, which is
            # the truth as the exporter sees it. The phase is then reported, not judged.
            detected = ph.end if left is None else left
            background = [s for s in served if s.status != 200 and ph.start <= s.arrived - t0 < detected]
            if background and not ok:
                ok = True
                bound_text += f" (not judged: a background failure at {background[0].arrived - t0 - ph.start:.2f} s)"
            table.add(ph.name, "leaves down", observed, f"{status_then or 'still down'} {fmt_s(to_left)}",
                      bound_text, changes, ok)
        elif ph.kind == "5xx":
            before = [p for p in polls if p.t < ph.start]
            needed = max((v or 0) for v in before[-1].outage_after.values()) if before else None
            at = first_at(inside, lambda p: p.status == "down", ph.start)
            to = None if at is None else at - ph.start
            stays = at is not None and all(p.status == "down" for p in inside if p.t >= at)
            bound = 2 * m["interval"] + m["aggregation"]
            fine = (m["interval"] + (needed - 1) * m["interval"] / needed + m["aggregation"]) if needed else None
            was_down = bool(before) and before[-1].status == "down"
            downs.append([ph.name, to, None])
            note = " (already down at its start)" if was_down else ""
            table.add(ph.name, "down, to the end of the wave", observed + note,
                      f"down {fmt_s(to)}", f"{bound:.2f} s (contract, needed {needed}: {fine:.2f} s)"
                      if fine else f"{bound:.2f} s", changes, to is not None and to <= bound + slack and stays)
        elif ph.kind == "429":
            at = first_at(inside, lambda p: p.status == "rate_limited", ph.start)
            to = None if at is None else at - ph.start
            stays = at is not None and all(p.status == "rate_limited" for p in inside if p.t >= at)
            bound = m["interval"] + (m["hold"] + 1) * m["aggregation"]
            conds = sorted({c for p in inside for c in p.conditions if c in ("quota_low", "quota_refusals", "retry_after")})
            table.add(ph.name, "rate_limited, never down", observed + f" [{', '.join(conds)}]",
                      f"rate_limited {fmt_s(to)}", f"{bound:.2f} s", changes,
                      to is not None and to <= bound + slack and stays and never_down)
        elif ph.kind == "slow":
            at = first_at(inside, lambda p: p.status == "degraded" and "latency" in p.conditions, ph.start)
            to = None if at is None else at - ph.start
            stays = at is not None and all(p.status == "degraded" for p in inside if p.t >= at)
            bound = 2 * m["interval"] + m["slow"] + (m["hold"] + 1) * m["aggregation"]
            bound_text = f"{bound:.2f} s"
            # A background failure served before the status turned makes the status wait for its confirming probe
            # (at most half an interval later, its completions as slow as the phase's), then hold again.
            detected = ph.end if at is None else at
            background = [s for s in served if s.status != 200 and ph.start <= s.arrived - t0 < detected]
            if background:
                bound += m["interval"] / 2 + m["slow"] + m["hold"] * m["aggregation"]
                bound_text = f"{bound:.2f} s (a background failure at {background[0].arrived - t0 - ph.start:.2f} s)"
            table.add(ph.name, "degraded (latency), never down", observed, f"degraded {fmt_s(to)}", bound_text,
                      changes, to is not None and to <= bound + slack and stays and never_down)
        elif ph.kind == "model":
            before = [p for p in polls if p.t < ph.start]
            needed = before[-1].outage_after.get(BROKEN_MODEL) if before else None
            at = first_at(inside, lambda p: p.status == "degraded", ph.start)
            to = None if at is None else at - ph.start
            # degraded comes from the error rate (once significantly above 5 %) or from the model's outage (its run of
            # failures long enough), whichever is first: the model's outage bounds it.
            bound = (needed or 0) * m["interval"] + CHAT_DELAY + (m["hold"] + 1) * m["aggregation"]

            def exact(p):
                return (p.status == "degraded" and p.model_availability.get(BROKEN_MODEL) == 0
                        and all(p.model_availability.get(x) == 1 for x in MODELS if x != BROKEN_MODEL)
                        and p.provider_availability == 1 and "model_outage" in p.conditions)
            unavailable = first_at(inside, lambda p: p.model_availability.get(BROKEN_MODEL) == 0, ph.start)
            to_unavailable = None if unavailable is None else unavailable - ph.start
            bound_unavailable = (needed or 0) * m["interval"] + CHAT_DELAY + m["aggregation"]
            exact_from = holds_from(inside, exact, ph.start)
            # The model's availability is exported the cycle its outage is seen; the status turns after its hold.
            # When the error rate has not turned it first, `degraded` follows the model (within the bound above).
            ok = (to is not None and to <= bound + slack and never_down and to_unavailable is not None
                  and to_unavailable <= bound_unavailable + slack and exact_from is not None
                  and exact_from <= max(unavailable, at) + slack)
            table.add(ph.name, f"degraded, only {BROKEN_MODEL} unavailable, provider available", observed,
                      f"degraded {fmt_s(to)}; model 0 {fmt_s(to_unavailable)}",
                      f"{bound:.2f} s; {bound_unavailable:.2f} s (needed {needed})", changes, ok)
        elif ph.kind == "401":
            at = first_at(inside, lambda p: p.status == "unauthorized", ph.start)
            to = None if at is None else at - ph.start
            stays = at is not None and all(p.status == "unauthorized" for p in inside if p.t >= at)
            bound = m["interval"] + m["aggregation"]
            table.add(ph.name, "unauthorized, never down", observed, f"unauthorized {fmt_s(to)}", f"{bound:.2f} s",
                      changes, to is not None and to <= bound + slack and stays and never_down)

    # ---------------------------------------------------------------- error share and p50 over quiet stretches
    quiet_spans = []
    for ph in phases:
        if ph.kind == "startup":
            # From a full window on: before, the p50 is that of the first probe or two, whose latency includes
            # opening the connections (the fake's service time does not).
            quiet_spans.append((ph, max(ph.start, m["window"]), ph.end))
        elif ph.kind == "quiet":
            quiet_spans.append((ph, ph.start + settle, ph.end))
    exp_results = exp_failed = srv_results = srv_failed = 0
    # Served answers this close to a stretch's edge may be counted on either side of it (see the docstring).
    edge = CHAT_DELAY + m["aggregation"] + m["poll"] + 0.25
    inside_results = inside_failed = around_results = around_failed = 0
    p50_errors = []
    p50_lines = []
    for ph, a, b in quiet_spans:
        span = [p for p in polls if a <= p.t < b]
        if len(span) < 2:
            continue
        first, last = span[0], span[-1]
        exp_results += last.results - first.results
        exp_failed += sum(last.failures.values()) - sum(first.failures.values())
        lag = m["aggregation"]
        r, f = served_results(served, t0, first.t - lag, last.t - lag)
        srv_results += r
        srv_failed += sum(f.values())
        r, f = served_results(served, t0, first.t, last.t - edge)
        inside_results, inside_failed = inside_results + r, inside_failed + sum(f.values())
        r, f = served_results(served, t0, first.t - edge, last.t)
        around_results, around_failed = around_results + r, around_failed + sum(f.values())
        chats = sorted(s.seconds for s in served if s.model and s.status == 200 and a - m["window"] <= s.arrived - t0 < b)
        fake_p50 = chats[(len(chats) - 1) // 2] if chats else None
        api = [p.p50 for p in span if p.p50 is not None]
        if fake_p50 is not None and api:
            worst = max(api, key=lambda v: abs(v - fake_p50))
            p50_errors.append(abs(worst - fake_p50))
            p50_lines.append(f"{ph.name}: fake p50 {fake_p50 * 1000:.2f} ms, API p50 {min(api) * 1000:.2f}–"
                             f"{max(api) * 1000:.2f} ms over {len(api)} polls")
    exp_share = exp_failed / exp_results if exp_results else None
    srv_share = srv_failed / srv_results if srv_results else None
    if exp_share is not None and srv_share is not None:
        err = abs(exp_share - srv_share)
        bracketed = (inside_failed <= exp_failed <= around_failed and inside_results <= exp_results <= around_results)
        table.add("quiet stretches: error share", "exported = served ± 3 points, or within the edges' margin",
                  f"exported {int(exp_failed)}/{int(exp_results)} = {exp_share:.2%}, "
                  f"served {srv_failed}/{srv_results} = {srv_share:.2%} (failed {inside_failed}–{around_failed} "
                  f"of {inside_results}–{around_results} with the edges' margin)", "-",
                  f"error {err * 100:.2f} points", "-", err <= ERROR_SHARE_TOLERANCE or bracketed)
    else:
        table.add("quiet stretches: error share", "exported = served ± 3 points", "no samples", "-", "-", "-", False)
    if p50_errors:
        worst = max(p50_errors)
        table.add("quiet stretches: p50", "API p50 = fake p50 ± 5 ms",
                  f"{len(p50_errors)} stretches", "-", f"worst error {worst * 1000:.2f} ms", "-",
                  worst <= P50_TOLERANCE)
    else:
        table.add("quiet stretches: p50", "API p50 = fake p50 ± 5 ms", "no samples", "-", "-", "-", False)

    # ---------------------------------------------------------------- whole run
    run_results = run_failed = None
    if final is not None:
        r, f = served_results(served, t0, -1, final.t - m["aggregation"])
        run_results, run_failed = r, f
        exported = {k: v for k, v in final.failures.items() if v}
        shares = []
        for reason in sorted(set(f) | set(exported)):
            e = exported.get(reason, 0) / final.results if final.results else 0
            s = f.get(reason, 0) / r if r else 0
            shares.append((reason, e, s))
        worst = max((abs(e - s) for _, e, s in shares), default=0)
        text = "; ".join(f"{reason} {e:.2%} vs {s:.2%}" for reason, e, s in shares)
        table.add("whole run: failure share by reason", "exported = served ± 3 points",
                  f"{int(final.results)} results vs {r} served; {text}", "-", f"error {worst * 100:.2f} points", "-",
                  worst <= ERROR_SHARE_TOLERANCE)
    if final is None:
        table.add("whole run: failure share by reason", "exported = served ± 3 points", "no final scrape", "-", "-",
                  "-", False)
    table.add("exporter", "alive, exit 0 on SIGTERM",
              f"alive {alive}, exit {stopped[0] if stopped else '?'} in {stopped[1]:.2f} s" if stopped else "?",
              "-", "-", "-", alive and stopped and stopped[0] == 0)

    # ---------------------------------------------------------------- print
    total_changes = int(polls[-1].changes_total - 1) if polls else 0
    print(f"\nreplay summary ({mode_name}, seed {seed}; {len(polls)} polls over {polls[-1].t if polls else 0:.0f} s; "
          f"{len(served)} answers served: "
          f"{', '.join(f'{k} × {v}' for k, v in sorted(_status_counts(served).items()))}):")
    table.print()
    print(f"\n  flaps (status changes in quiet stretches, after settling): {flaps}; "
          f"status changes in the whole run: {total_changes}")
    for name, to_down, back in downs:
        print(f"  {name}: down after {fmt_s(to_down)}; "
              + (f"left down {fmt_s(back)} into the gap" if back is not None else "back: see the quiet stretch after it"))
    for line in p50_lines:
        print(f"  p50, {line}")
    if run_results is not None:
        print(f"  whole run: {int(final.results)} results exported, {run_results} from the fake's answers; failures "
              f"exported {dict((k, int(v)) for k, v in final.failures.items() if v)}, served {run_failed}")
    transitions = [(t, fr, to) for t, fr, to, _ in log_changes(log, wall0)]
    print("  status changes (exporter log, seconds since start): "
          + ", ".join(f"{t:.1f} {fr}→{to}" for t, fr, to in transitions))
    ok = table.passed()
    with open(os.path.join(tmp, "polls.jsonl"), "w") as f:
        for p in polls:
            f.write(json.dumps(p.__dict__) + "\n")
    with open(os.path.join(tmp, "served.jsonl"), "w") as f:
        for s in served:
            f.write(json.dumps(dict(s.__dict__, arrived=round(s.arrived - t0, 4))) + "\n")
    if not ok:
        diagnose(phases, polls, served, t0, m, settle, log, wall0, table)
    print(f"replay: {'PASS' if ok else 'FAIL'} (seed {seed})")
    if ok and not keep:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"replay: files kept in {tmp}")
    return ok


def _status_counts(served):
    out = {}
    for s in served:
        out[s.status] = out.get(s.status, 0) + 1
    return out


def diagnose(phases, polls, served, t0, m, settle, log, wall0, table):
    """For every failed phase: the status and conditions at the polls; for every quiet stretch with changes after
    settling: what the exporter saw and what the fake served in the window before each change."""
    print("\nreplay: diagnostics")
    failed_names = {r[0] for r in table.rows if not r[-1]}
    for ph in phases:
        if ph.name not in failed_names:
            continue
        print(f"  {ph.name} ({ph.start:.1f}–{ph.end:.1f} s): status and conditions at the polls, when they changed")
        last = None
        for p in polls:
            if ph.start - 1 <= p.t < ph.end:
                state = (p.status, tuple(p.conditions), p.breaker)
                if state != last:
                    print(f"    {p.t:8.2f} s  {p.status:<12} conditions {list(p.conditions)}  breaker {p.breaker}  "
                          f"error_rate {p.error_rate:.4f}")
                    last = state
        failures = [s for s in served if s.status != 200 and ph.start - m["window"] <= s.arrived - t0 < ph.end]
        print("    failures the fake served from a window before the stretch to its end: "
              + ", ".join(f"{s.arrived - t0:.2f} s {s.status} {s.model or 'models'}" for s in failures))
    changes = log_changes(log, wall0)
    for ph in phases:
        if ph.kind not in ("startup", "quiet"):
            continue
        a = ph.start if ph.kind == "startup" else ph.start + settle
        inside = [c for c in changes if a <= c[0] < ph.end]
        if ph.kind == "startup":
            inside = inside[1:] if inside and inside[0][1] == "none" else inside
        if not inside:
            continue
        print(f"  {ph.name} ({a:.1f}–{ph.end:.1f} s): {len(inside)} unexpected status change(s)")
        for t, fr, to, line in inside:
            near = [p for p in polls if abs(p.t - t) <= m["poll"] * 2 + m["aggregation"]]
            conds = sorted({c for p in near for c in p.conditions})
            rates = sorted({round(p.error_rate, 4) for p in near if p.error_rate is not None})
            print(f"    {t:.2f} s {fr} → {to}; conditions near it {conds}; error_rate {rates}")
            print(f"      log: {line}")
            failed = [s for s in served if s.status != 200 and t - m["window"] <= s.arrived - t0 <= t]
            for s in failed:
                print(f"      served {s.arrived - t0:8.2f} s  {s.status}  {s.path}  {s.model or ''}")
            if not failed:
                print("      the fake served no failure in the window before it")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--short", action="store_true", help="the CI mode: every time divided by 4 (≈ 2.5 minutes)")
    parser.add_argument("--seed", type=int, help="seed of the background errors (default: random, printed)")
    parser.add_argument("--binary", default=default_binary())
    parser.add_argument("--keep", action="store_true", help="keep the exporter log and configuration")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 10**6)
    ok = run(args.binary, "short" if args.short else "full", seed, args.keep)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
