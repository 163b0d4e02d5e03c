"""The chaos drivers in their short modes (the full runs: scripts/soak.sh, scripts/truth.sh, scripts/replay.sh and
scripts/quota-pause.sh). The soak (about a minute, wrk on /metrics without pause) runs alone; then the truth run
(about 3 minutes), the incident replay (about 2.5 minutes) and the quota pause (with a real Prometheus and
Alertmanager, about 2 minutes) run side by side: they wait on their timelines, not on the CPU. Each driver prints its
summary; a failed check fails the test with that summary."""
import os
import subprocess
import sys
import tempfile

import pytest

from harness import ROOT, exporter_bin

CHAOS = os.path.join(ROOT, "integration", "chaos")


def binary():
    # The release build when CI has made one (scripts/test.sh exports RELEASE_BIN): the binary as shipped.
    release = os.environ.get("RELEASE_BIN")
    return release if release and os.access(release, os.X_OK) else exporter_bin()


def start_driver(script, *args):
    # Output to files, not pipes: a driver must never wait for the test to read it while the test waits for another.
    stdout, stderr = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
    process = subprocess.Popen([sys.executable, os.path.join(CHAOS, script), "--binary", binary(), *args],
                               stdout=stdout, stderr=stderr, text=True)
    process.output = (stdout, stderr)
    return process


def finish_driver(process, script, timeout):
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    stdout, stderr = (f.seek(0) or f.read() for f in process.output)
    if process.returncode is None or process.returncode < 0:
        pytest.fail(f"{script} did not finish in {timeout} s:\n{stdout[-6000:]}\n{stderr[-3000:]}")
    print(stdout)
    assert process.returncode == 0, f"{script} failed:\n{stdout[-6000:]}\n{stderr[-3000:]}"
    return stdout


def test_soak_short_mode():
    out = finish_driver(start_driver("soak.py", "--duration", "60s"), "soak.py", timeout=240)
    assert "soak: PASS" in out


@pytest.fixture(scope="module")
def side_by_side():
    """The three timeline drivers, started together once the soak is over."""
    drivers = {
        "truth.py": start_driver("truth.py", "--short"),
        "replay.py": start_driver("replay.py", "--short"),
        "quota_pause.py": start_driver("quota_pause.py", "--short"),
    }
    yield drivers
    for process in drivers.values():
        if process.poll() is None:
            process.kill()
            process.wait()


def test_truth_short_mode(side_by_side):
    out = finish_driver(side_by_side["truth.py"], "truth.py", timeout=420)
    assert "truth: PASS" in out


def test_replay_short_mode(side_by_side):
    out = finish_driver(side_by_side["replay.py"], "replay.py", timeout=420)
    assert "replay: PASS" in out


def test_quota_pause_short_mode(side_by_side):
    out = finish_driver(side_by_side["quota_pause.py"], "quota_pause.py", timeout=420)
    assert "quota_pause: PASS" in out
