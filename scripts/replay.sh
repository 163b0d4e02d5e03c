#!/usr/bin/env bash
# Incident replay: one OpenAI-compatible fake provider with ~1 % random background 500s (seeded; the seed is
# printed) goes through the incidents real LLM APIs have: quiet from start-up, a two-wave 5xx outage, a 429 cascade,
# a 3 s latency degradation, a one-model outage and a revoked key, each followed by a quiet stretch. The exporter
# (completion probes on, interval 4 s, window 40 s) is polled every 250 ms; each phase's status and the time it took
# are checked against the bounds of the status contract, quiet stretches must not change status once an incident's
# window has passed, and the exported error share and p50 are compared with what the fake served. Prints a table
# (phase, expected, observed, time to status, bound, changes, PASS/FAIL); the configuration and why it was chosen
# are described at the top of integration/chaos/replay.py.
#
#   scripts/replay.sh                    # full: about 10 minutes
#   scripts/replay.sh --short            # the CI mode: every time divided by 4, about 2.5 minutes
#   scripts/replay.sh --seed 1234        # replay the same background errors
#   EXPORTER_BIN=path scripts/replay.sh  # use this binary, no build
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -c 'import prometheus_client' 2>/dev/null || python3 -m pip install -q prometheus_client

binary="$(scripts/exporter-binary.sh)"
exec python3 integration/chaos/replay.py --binary "$binary" "$@"
