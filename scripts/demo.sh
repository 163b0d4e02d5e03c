#!/usr/bin/env bash
# Builds the exporter (release) and runs the built-in demo: six simulated providers on loopback, one per
# behaviour, monitored for real. Open http://127.0.0.1:9464/metrics. Extra flags are passed through.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product provider-health-exporter
exec .build/release/provider-health-exporter --demo --web.listen-address "${LISTEN:-127.0.0.1:9464}" "$@"
