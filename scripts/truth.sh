#!/usr/bin/env bash
# Truth of the signal: a fake provider with known injected behaviour (every answer 300 ms; a fixed deck of
# 20 % 500s and 10 % 429s) probed for 10 minutes; the exported error rate (30 %: 500s and 429s are both
# failures), the per-reason failure counters (20 % http_5xx, 10 % rate_limited) and the p50 latency (exact from
# the API, bucketed from the histogram) are compared with what was injected, and the status must never be
# `down`. Then a hard outage (port closed): time to `down` against one probe interval plus one aggregation
# interval; then recovery: time to `healthy` and the breaker states in between. Every number is printed;
# the configuration and why it was chosen are described at the top of integration/chaos/truth.py.
#
#   scripts/truth.sh                    # full: 10 minutes of injected behaviour (about 11.5 minutes in all)
#   scripts/truth.sh --short            # the CI mode: about a minute
#   EXPORTER_BIN=path scripts/truth.sh  # use this binary, no build
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -c 'import prometheus_client' 2>/dev/null || python3 -m pip install -q prometheus_client

binary="${EXPORTER_BIN:-}"
if [ -z "$binary" ]; then
  binary="$(scripts/build.sh | tail -n 1)"
fi
exec python3 integration/chaos/truth.py --binary "$binary" "$@"
