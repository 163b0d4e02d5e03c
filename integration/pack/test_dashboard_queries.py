"""Every PromQL query of both dashboards parses and returns data against the demo exporter.

Uses the same session stack as test_e2e_alerting.py (real Prometheus with the shipped recording rules).
"""

from __future__ import annotations

import re
import time

import pytest

from dashboard_lint import iter_targets
from packpaths import DASHBOARDS, load_dashboard
from stack import EXPORTER_JOB, PromQLError, require_running

DATA_DEADLINE = 30.0  # seconds after the stack is up for a query to return data
DEMO_PROVIDERS = {"demo-healthy", "demo-slow", "demo-flaky", "demo-ratelimited", "demo-unauthorized", "demo-down"}
# Queries whose answer may rightly be empty in the demo, each with a query of the same series that may not.
# demo-ratelimited asks for a 1 s retry-after wait, which is mostly over by the time Prometheus scrapes.
MAY_BE_EMPTY = {
    "Provider health/Retry-after pause/A":
        'provider_retry_after_until_timestamp_seconds{job=~"$job", instance=~"$instance", provider=~"$provider"}',
}


def _targets():
    for filename in sorted(DASHBOARDS):
        d = load_dashboard(filename)
        for panel, target in iter_targets(d):
            target_id = f"{d['title']}/{panel['title']}/{target['refId']}"
            yield pytest.param(target, MAY_BE_EMPTY.get(target_id), id=target_id)


def _variables():
    for filename in sorted(DASHBOARDS):
        d = load_dashboard(filename)
        for v in d["templating"]["list"]:
            if v["type"] == "query":
                yield pytest.param(v, id=f"{d['title']}/${v['name']}")


def substitute(expr: str, values: dict[str, str]) -> str:
    """Replace Grafana variables ($x, ${x}, [[x]]) the way Grafana would for one selection."""
    def repl(m: re.Match) -> str:
        name = m.group(1) or m.group(2) or m.group(3)
        if name not in values:
            raise KeyError(f"unknown variable {name} in {expr!r}")
        return values[name]
    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]", repl, expr)


def _values(s) -> dict[str, str]:
    return {
        "datasource": "prometheus",
        "job": EXPORTER_JOB,
        "instance": s.exporter_addr,
        "provider": ".+",
        "model": ".+",
        "__rate_interval": "15s",
        "__interval": "1s",
        "__range": "5m",
    }


def _deadline(s) -> float:
    return s.ready_at + DATA_DEADLINE


def _query(s, expr: str, instant: bool) -> list:
    try:
        return s.query(expr) if instant else s.query_range(expr, seconds=30)
    except PromQLError as e:
        pytest.fail(f"{expr}\n{e}", pytrace=False)


@pytest.mark.parametrize("target,fallback", _targets())
def test_panel_query_parses_and_returns_data(stack, target, fallback):
    s = require_running(stack)
    expr = substitute(target["expr"], _values(s))
    if fallback is not None:
        _query(s, expr, bool(target.get("instant")))  # must parse and evaluate; may be empty
        expr = substitute(fallback, _values(s))
    while True:
        result = _query(s, expr, bool(target.get("instant")))
        if result or time.monotonic() > _deadline(s):
            break
        time.sleep(1)
    assert result, f"no data for:\n{expr}"


def test_may_be_empty_names_real_targets():
    ids = {p.id for p in _targets()}
    assert set(MAY_BE_EMPTY) <= ids


@pytest.mark.parametrize("variable", _variables())
def test_variable_query_returns_values(stack, variable):
    s = require_running(stack)
    m = re.match(r"^label_values\((?:(.+),\s*)?(\w+)\)$", variable["query"].strip(), re.DOTALL)
    assert m, variable["query"]
    selector, label = m.group(1), m.group(2)
    params = {"match[]": substitute(selector, _values(s))} if selector else {}
    while True:
        values = s.api(f"/api/v1/label/{label}/values", **params)
        if values or time.monotonic() > _deadline(s):
            break
        time.sleep(1)
    assert values, f"variable ${variable['name']} has no values"
    if variable["name"] == "job":
        assert EXPORTER_JOB in values
    if variable["name"] == "instance":
        assert s.exporter_addr in values
    if variable["name"] == "provider":
        assert DEMO_PROVIDERS <= set(values), values


def test_substitute_handles_every_variable_form():
    v = {"job": "j", "__rate_interval": "1m"}
    assert substitute('rate(x{job=~"$job"}[$__rate_interval]) + ${job} + [[job]]', v) == \
        'rate(x{job=~"j"}[1m]) + j + j'
    with pytest.raises(KeyError):
        substitute("$nope", v)
