"""The chaos drivers in their short modes (the full runs: scripts/soak.sh, scripts/truth.sh, scripts/replay.sh and
integration/chaos/quota_pause.py): the soak and the truth run about a minute each, the incident replay about
2.5 minutes, the quota pause (with a real Prometheus and Alertmanager) about 2 minutes. Each driver prints its
summary; a failed check fails the test with that summary."""
import os
import subprocess
import sys

from harness import ROOT, exporter_bin

CHAOS = os.path.join(ROOT, "integration", "chaos")


def binary():
    # The release build when CI has made one (scripts/test.sh exports RELEASE_BIN): the binary as shipped.
    release = os.environ.get("RELEASE_BIN")
    return release if release and os.access(release, os.X_OK) else exporter_bin()


def run_driver(script, *args, timeout):
    run = subprocess.run([sys.executable, os.path.join(CHAOS, script), "--binary", binary(), *args],
                         capture_output=True, text=True, timeout=timeout)
    print(run.stdout)
    assert run.returncode == 0, f"{script} failed:\n{run.stdout[-6000:]}\n{run.stderr[-3000:]}"
    return run.stdout


def test_truth_short_mode():
    out = run_driver("truth.py", "--short", timeout=240)
    assert "truth: PASS" in out


def test_soak_short_mode():
    out = run_driver("soak.py", "--duration", "60s", timeout=240)
    assert "soak: PASS" in out


def test_replay_short_mode():
    out = run_driver("replay.py", "--short", timeout=420)
    assert "replay: PASS" in out


def test_quota_pause_short_mode():
    out = run_driver("quota_pause.py", "--short", timeout=420)
    assert "quota_pause: PASS" in out
