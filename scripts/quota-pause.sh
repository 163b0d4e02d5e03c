#!/usr/bin/env bash
# Quota pause: a provider answering every request with 429 and `retry-after: 900` for 20 minutes, watched by the
# exporter (5 m window, default interval and thresholds) next to a real Prometheus with the shipped rules and their
# shipped `for:` durations, and a real Alertmanager with the shipped routing. Checks that the status is
# `rate_limited` throughout and never `down`, that ProviderRateLimited fires and reaches the ticket webhook while
# ProviderDown and ProviderProbesStale never do, and that the probe sends only what the pauses allow (2 requests).
# Details at the top of integration/chaos/quota_pause.py.
#
#   scripts/quota-pause.sh                    # full: 20 minutes
#   scripts/quota-pause.sh --short            # the CI mode: time scaled by 1/10, about 2 minutes
#   EXPORTER_BIN=path scripts/quota-pause.sh  # use this binary, no build
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -c 'import prometheus_client, yaml' 2>/dev/null || python3 -m pip install -q prometheus_client pyyaml

binary="$(scripts/exporter-binary.sh)"
exec python3 integration/chaos/quota_pause.py --binary "$binary" "$@"
