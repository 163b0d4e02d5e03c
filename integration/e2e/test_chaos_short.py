"""The timeline drivers of integration/chaos in their short modes (the full runs: scripts/truth.sh, scripts/replay.sh
and scripts/quota-pause.sh): the truth run (about 3 minutes), the incident replay (about 2.5 minutes) and the quota
pause (with a real Prometheus and Alertmanager, about 2 minutes) run side by side: they wait on their timelines, not
on the CPU. Each driver prints its summary; a failed check fails the test with that summary. The soak, which loads
the machine on purpose, is test_soak_short.py."""
import pytest

from harness import finish_chaos_driver, start_chaos_driver


@pytest.fixture(scope="module")
def side_by_side():
    """The three timeline drivers, started together."""
    drivers = {
        "truth.py": start_chaos_driver("truth.py", "--short"),
        "replay.py": start_chaos_driver("replay.py", "--short"),
        "quota_pause.py": start_chaos_driver("quota_pause.py", "--short"),
    }
    yield drivers
    for process in drivers.values():
        if process.poll() is None:
            process.kill()
            process.wait()


def test_truth_short_mode(side_by_side):
    out = finish_chaos_driver(side_by_side["truth.py"], "truth.py", timeout=420)
    assert "truth: PASS" in out


def test_replay_short_mode(side_by_side):
    out = finish_chaos_driver(side_by_side["replay.py"], "replay.py", timeout=420)
    assert "replay: PASS" in out


def test_quota_pause_short_mode(side_by_side):
    out = finish_chaos_driver(side_by_side["quota_pause.py"], "quota_pause.py", timeout=420)
    assert "quota_pause: PASS" in out
