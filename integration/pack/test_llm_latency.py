"""A 30 s completion in a real Prometheus: LLM-shaped latency lands in a finite bucket and its quantile is right.

A fake OpenAI-compatible provider on 127.0.0.1 answers its model list at once and `/chat/completions` after 30 s.
The exporter probes it with `completion_probe: true` (interval 45 s, timeout 40 s, so the completion answers), and
a real Prometheus (the shipped configuration, scraping every second, see stack.py) scrapes the exporter.

- The completion is counted in a finite bucket: `provider_response_time_seconds_bucket{source="probe",
  operation="chat"}` is 1 at le="40.96" and 0 at le="20.48" (the OpenTelemetry GenAI buckets).
- `histogram_quantile(0.95, sum by (le) (rate(..._bucket{operation="chat",source="probe"}[2m])))` from
  Prometheus' HTTP API is within one bucket of 30 s: between 20.48 and 40.96.
- The model-list operation of the same provider is its own series: it holds no slow observation, so its
  quantile is not pulled towards 30 s (the quantiles do not mix).

Needs the exporter binary ($EXPORTER_BIN, default .build/debug/provider-health-exporter), prometheus and
prometheus-alertmanager; without them the tests fail with the reason. About a minute.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import pytest

from stack import ExporterSpec, Stack, StackStartError, require_running, wait_for

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "chaos"))
from fakes import Answer, FakeProviders  # noqa: E402

PROVIDER = "fake-llm"
MODEL = "gpt-4o-mini"
COMPLETION_SECONDS = 30.0
DEADLINE = 90.0
SERIES = f'provider_response_time_seconds_bucket{{provider="{PROVIDER}",source="probe"'


def _behaviour(provider, path, number):
    if path.endswith("/chat/completions"):
        return Answer(status=200, delay=COMPLETION_SECONDS)
    return Answer(status=200)


def _config(base_url: str) -> str:
    return f"""global:
  aggregation_interval: 1s
  interval: 45s
  timeout: 40s
  jitter: 0s
providers:
  - name: {PROVIDER}
    kind: openai
    base_url: {base_url}
    api_key: sk-latency-test-0000abcd
    models: [{MODEL}]
    completion_probe: true
"""


@pytest.fixture(scope="module")
def llm_stack(tmp_path_factory):
    fake = FakeProviders({PROVIDER: [MODEL]}, _behaviour)
    workdir = tmp_path_factory.mktemp("llm-latency")
    config = workdir / "config.yml"
    config.write_text(_config(fake.base_url(PROVIDER)))
    stack = Stack(workdir / "stack", exporters=[ExporterSpec("exporter", [
        "--config.file", str(config), "--history.path", ":memory:"])], expected={PROVIDER: "healthy"})
    try:
        stack.start()
    except StackStartError as e:
        stack.stop()
        fake.stop()
        yield e
        return
    try:
        yield stack
    finally:
        stack.stop()
        fake.stop()


def _value(stack: Stack, expr: str):
    result = stack.query(expr)
    return float(result[0]["value"][1]) if result else None


def _completion_scraped(stack: Stack) -> bool:
    return _value(stack, f'{SERIES},operation="chat",le="+Inf"}}') == 1


def test_30s_completion_in_a_finite_bucket(llm_stack):
    s = require_running(llm_stack)
    assert wait_for(lambda: _completion_scraped(s), DEADLINE), (
        f"the completion was not counted in Prometheus within {DEADLINE}s\n" + s.diagnostics())
    assert _value(s, f'{SERIES},operation="chat",le="40.96"}}') == 1
    assert _value(s, f'{SERIES},operation="chat",le="20.48"}}') == 0


def test_histogram_quantile_within_one_bucket_of_30s(llm_stack):
    s = require_running(llm_stack)
    assert wait_for(lambda: _completion_scraped(s), DEADLINE), s.diagnostics()
    expr = ('histogram_quantile(0.95, sum by (le) (rate(provider_response_time_seconds_bucket'
            f'{{provider="{PROVIDER}",operation="chat",source="probe"}}[2m])))')
    # rate() needs the zero sample before the observation and the one after it: poll until both are in.
    p95 = wait_for(lambda: (lambda v: v if v is not None and not math.isnan(v) else None)(_value(s, expr)), 15)
    print(f"histogram_quantile(0.95) of the chat completions from Prometheus: {p95}")
    assert p95 is not None, f"no quantile from Prometheus for {expr}"
    assert 20.48 < p95 <= 40.96, f"p95 {p95} s is not within one bucket of {COMPLETION_SECONDS} s"


def test_model_list_is_its_own_series(llm_stack):
    s = require_running(llm_stack)
    assert wait_for(lambda: _completion_scraped(s), DEADLINE), s.diagnostics()
    # The model list of the same probes: whatever it holds is sub-second; the 30 s completion is not in it.
    count = _value(s, f'provider_response_time_seconds_count{{provider="{PROVIDER}",source="probe",operation="list_models"}}')
    under_a_second = _value(s, f'{SERIES},operation="list_models",le="0.64"}}')
    assert count is not None and under_a_second == count, (count, under_a_second)
    expr = ('histogram_quantile(0.95, sum by (le) (rate(provider_response_time_seconds_bucket'
            f'{{provider="{PROVIDER}",operation="list_models",source="probe"}}[2m])))')
    p95 = _value(s, expr)
    assert p95 is None or math.isnan(p95) or p95 < 1, f"model-list p95 {p95} s: the quantiles mix"


def test_model_list_latency_observed_with_completion_probes(llm_stack):
    """With completion probes on, each model's result is its completion; the model-list request is still observed,
    once per probe, in its own series."""
    s = require_running(llm_stack)
    assert wait_for(lambda: _completion_scraped(s), DEADLINE), s.diagnostics()
    count = _value(s, f'provider_response_time_seconds_count{{provider="{PROVIDER}",source="probe",operation="list_models"}}')
    assert count is not None and count >= 1, f"model-list observations: {count}"
    p95 = _value(s, 'histogram_quantile(0.95, sum by (le) (rate(provider_response_time_seconds_bucket'
                    f'{{provider="{PROVIDER}",operation="list_models",source="probe"}}[2m])))')
    assert p95 is not None and p95 < 1, f"model-list p95 {p95} s"
