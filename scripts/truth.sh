#!/usr/bin/env bash
# Truth of the signal: a fake provider with a known random mix (every answer 300 ms; 20 % 500s and 10 % 429s
# with retry-after 1, drawn at random, seed printed) probed for 10 minutes: the status must hold still once the
# window is full (at most one change, never `down`), the per-reason failure counters must match what the fake
# served (±3 points) and the p50 latency the fake's own (±5 ms). Then a hard outage (port closed): time to `down`
# against one probe interval plus one aggregation interval; then recovery: time to `healthy` against the rule
# and the breaker states in between. Every number is printed; the configuration and why it was chosen are
# described at the top of integration/chaos/truth.py.
#
#   scripts/truth.sh                    # full: 10 minutes of injected behaviour (about 11.5 minutes in all)
#   scripts/truth.sh --short            # the CI mode: about two minutes
#   scripts/truth.sh --seed N           # replay the draws of an earlier run
#   EXPORTER_BIN=path scripts/truth.sh  # use this binary, no build
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -c 'import prometheus_client' 2>/dev/null || python3 -m pip install -q prometheus_client

binary="$(scripts/exporter-binary.sh)"
exec python3 integration/chaos/truth.py --binary "$binary" "$@"
