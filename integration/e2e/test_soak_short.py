"""The soak in its short mode (the full run: scripts/soak.sh): about a minute of wrk on /metrics without pause, beside
the exporter's own probing. It loads the machine on purpose, so scripts/test.sh runs it alone. The driver prints its
summary; a failed check fails the test with that summary."""
from harness import finish_chaos_driver, start_chaos_driver


def test_soak_short_mode():
    out = finish_chaos_driver(start_chaos_driver("soak.py", "--duration", "60s"), "soak.py", timeout=240)
    assert "soak: PASS" in out
