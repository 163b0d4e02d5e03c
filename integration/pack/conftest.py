"""Shared fixtures of the pack tests.

The end-to-end tests share one stack (exporter in demo mode, Prometheus,
Alertmanager and a webhook receiver) for the whole session.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stack import Stack, StackStartError  # noqa: E402


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """The running stack, or the StackStartError saying why it could not start.

    Tests call stack.require_running() on it so that a missing exporter binary
    makes them fail with that message rather than error out or skip.
    """
    s = Stack(tmp_path_factory.mktemp("pack-stack"))
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
