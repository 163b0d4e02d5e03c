"""End to end with an HA pair: two exporter instances in one scrape job, a real Prometheus with the shipped rules
(`for:` shortened) and a real Alertmanager with the shipped routing and inhibitions.

- One instance killed: ProviderDown for demo-down still reaches the pager from the surviving instance, and
  Alertmanager does not inhibit it (only a job without any live instance inhibits provider alerts).
- Providers on a fake OpenAI-compatible API on 127.0.0.1, one slow (above its 1 s p95 threshold) and one healthy,
  then both slow: tickets (ProviderHighLatency, then ProviderNoneHealthy) and never a page.

Needs the exporter binary ($EXPORTER_BIN, default .build/debug/provider-health-exporter) with the metrics of the
status contract (provider_condition and the threshold gauges), prometheus and prometheus-alertmanager. Without
them every test here fails with the reason.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from stack import EXPORTER_JOB, ExporterSpec, Stack, StackStartError, demo_exporter, require_running, wait_for

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "chaos"))
from fakes import Answer, FakeProviders  # noqa: E402

# Provider alerts wait longer than the exporter's own alerts, so that an instance killed right after Prometheus
# starts is reported (ProviderHealthExporterDown) before ProviderDown fires.
HA_FOR = {"ProviderDown": "15s", "ProviderHealthExporterDown": "2s", "ProviderHealthExporterJobDown": "2s"}
SLOW = 1.5  # seconds a slow fake provider takes to answer: above the default 1 s p95 threshold of list_models
DEADLINE = 90.0


def _timed(s, path: str, alertname: str, **labels) -> list[tuple[float, dict]]:
    return [(at, a) for at, p, a in s.receiver.timed_alerts()
            if p == path and a["status"] == "firing" and a["labels"].get("alertname") == alertname
            and all(a["labels"].get(k) == v for k, v in labels.items())]


def _context(s) -> str:
    lines = ["provider_status == 1 per instance:"]
    lines += [f"  {r['metric'].get('instance')} {r['metric'].get('provider')}: {r['metric'].get('status')}"
              for r in s.query("provider_status == 1")]
    lines.append("provider_condition == 1 per instance:")
    lines += [f"  {r['metric'].get('instance')} {r['metric'].get('provider')}: {r['metric'].get('condition')}"
              for r in s.query("provider_condition == 1")]
    lines.append("Prometheus alerts:")
    lines += [f"  {a['labels'].get('alertname')} {a['labels'].get('provider', '')} "
              f"{a['labels'].get('instance', '')} {a['state']}" for a in s.alerts()]
    lines.append("webhook notifications:")
    lines += [f"  {p} {a['labels'].get('alertname')} {a['labels'].get('provider', '')} {a['status']}"
              for p, a in s.receiver.alerts()]
    return "\n".join(lines) + "\n" + s.diagnostics()


def _started(stack: Stack):
    """The running stack, or the StackStartError saying why it could not start (the tests fail with it)."""
    try:
        stack.start()
    except StackStartError as e:
        stack.stop()
        return e
    except BaseException:
        stack.stop()
        raise
    return stack


# --------------------------------------------------------------------------- one replica killed

@pytest.fixture(scope="module")
def ha_demo(tmp_path_factory):
    s = _started(Stack(tmp_path_factory.mktemp("ha-demo"), exporters=[demo_exporter("a"), demo_exporter("b")],
                       for_durations=HA_FOR))
    yield s
    if isinstance(s, Stack):
        s.stop()


def test_killed_replica_does_not_silence_provider_down(ha_demo):
    s = require_running(ha_demo)
    dead = next(spec for spec in s.exporters if spec.name == "b")
    s.kill_exporter("b")
    killed_at = time.monotonic()

    # The dead replica is reported as a warning (a ticket) ...
    down = wait_for(lambda: _timed(s, "/ticket", "ProviderHealthExporterDown", instance=dead.addr), DEADLINE)
    assert down, "ProviderHealthExporterDown for the killed instance never reached the ticket webhook\n" + _context(s)
    exporter_down_at = min(at for at, _ in down)

    # ... and ProviderDown, computed by the surviving replica, pages after that: it is not inhibited.
    # (Alertmanager repeats a notification after repeat_interval, 1m here, should the first one have come earlier.)
    pages = wait_for(lambda: [at for at, _ in _timed(s, "/pager", "ProviderDown", provider="demo-down")
                               if at > exporter_down_at], DEADLINE)
    assert pages, ("no ProviderDown page for demo-down after the replica's ProviderHealthExporterDown arrived\n"
                   + _context(s))
    assert min(pages) > killed_at

    am = [a for a in s.alertmanager_alerts() if a["labels"].get("alertname") == "ProviderDown"
          and a["labels"].get("provider") == "demo-down"]
    assert am and all(a["status"]["state"] == "active" and not a["status"]["inhibitedBy"] for a in am), am

    # One replica is alive: the job is not down, and nothing else pages for the job.
    assert not [a for a in s.alerts() if a["labels"].get("alertname") == "ProviderHealthExporterJobDown"]
    assert not _timed(s, "/pager", "ProviderHealthExporterJobDown")
    assert [r for r in s.query(f'up{{job="{EXPORTER_JOB}"}} == 0') if r["metric"]["instance"] == dead.addr]


# --------------------------------------------------------------------------- degraded providers never page

PROVIDERS = {"fake-slow": ["m1"], "fake-healthy": ["m1"]}


class Delays:
    """The fakes' behaviour: every request of a provider waits its delay, then answers 200."""

    def __init__(self):
        self.delay = {"fake-slow": SLOW, "fake-healthy": 0.0}

    def __call__(self, provider, path, number):
        return Answer(status=200, delay=self.delay.get(provider, 0.0))


def _config(fakes: FakeProviders) -> str:
    out = ("global:\n  aggregation_interval: 1s\n  window: 30s\n  interval: 3s\n  timeout: 2500ms\n  jitter: 0s\n"
           "  max_probes_per_hour: 100000\nproviders:\n")
    for name, models in PROVIDERS.items():
        out += (f"  - name: {name}\n    kind: openai\n    base_url: {fakes.base_url(name)}\n"
                f"    models: [{', '.join(models)}]\n")
    return out


@pytest.fixture(scope="module")
def degraded(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("ha-degraded")
    delays = Delays()
    fakes = FakeProviders(PROVIDERS, delays)
    config = workdir / "exporter.yml"
    config.write_text(_config(fakes))
    args = ["--config.file", str(config), "--history.path", ":memory:", "--log.level", "warn"]
    s = _started(Stack(workdir / "stack", exporters=[ExporterSpec("a", args), ExporterSpec("b", args)],
                       expected={"fake-slow": "degraded", "fake-healthy": "healthy"}))
    yield s, delays
    if isinstance(s, Stack):
        s.stop()
    fakes.stop()


def _no_page(s) -> None:
    pages = [(p, a["labels"]) for p, a in s.receiver.alerts() if p == "/pager"]
    assert pages == [], f"a degraded provider paged: {pages}\n" + _context(s)


def test_slow_provider_next_to_a_healthy_one_opens_a_ticket_and_never_pages(degraded):
    s = require_running(degraded[0])
    tickets = wait_for(lambda: _timed(s, "/ticket", "ProviderHighLatency", provider="fake-slow"), 45)
    assert tickets, "ProviderHighLatency for fake-slow never reached the ticket webhook\n" + _context(s)
    # Give any critical alert the same time again to show up.
    wait_for(lambda: False, max(0.0, s.ready_at + 30 - time.monotonic()))
    _no_page(s)
    assert not [a for a in s.alerts() if a["labels"].get("severity") == "critical"], _context(s)


def test_every_provider_degraded_is_a_ticket_not_a_page(degraded):
    s, delays = require_running(degraded[0]), degraded[1]
    delays.delay["fake-healthy"] = SLOW
    flipped = time.monotonic()
    tickets = wait_for(lambda: [at for at, _ in _timed(s, "/ticket", "ProviderNoneHealthy") if at > flipped], 60)
    assert tickets, "ProviderNoneHealthy never reached the ticket webhook once every provider was slow\n" + _context(s)
    wait_for(lambda: False, max(0.0, min(tickets) + 10 - time.monotonic()))
    _no_page(s)
    assert not [a for a in s.alerts() if a["labels"].get("alertname") == "ProviderNoneAvailable"], _context(s)
