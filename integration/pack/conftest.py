"""Shared fixtures of the pack tests.

The end-to-end tests of test_e2e_alerting.py and test_dashboard_queries.py share one stack (exporter in demo
mode, Prometheus, Alertmanager and a webhook receiver) for the whole session. A gateway's traffic is simulated by
posting a few successful outcomes of demo-healthy every 2 s, so that the traffic panels have data.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stack import Stack, StackStartError  # noqa: E402

# Outcomes of demo-healthy only: traffic for the other demo providers would change their statuses.
DEMO_TRAFFIC = [
    {"provider": "demo-healthy", "model": "gpt-4o", "success": True, "latency_seconds": 0.4, "status_code": 200,
     "time_to_first_token_seconds": 0.12},
    {"provider": "demo-healthy", "model": "gpt-4o-mini", "success": True, "latency_seconds": 0.2, "status_code": 200},
]


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """The running stack, or the StackStartError saying why it could not start.

    Tests call stack.require_running() on it so that a missing exporter binary
    makes them fail with that message rather than error out or skip.
    """
    s = Stack(tmp_path_factory.mktemp("pack-stack"), traffic=DEMO_TRAFFIC)
    try:
        s.start()
    except StackStartError as e:
        s.stop()
        yield e
        return
    try:
        yield s
    finally:
        s.stop()
