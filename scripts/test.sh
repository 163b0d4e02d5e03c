#!/usr/bin/env bash
# The whole test suite: Swift unit and integration tests, the Prometheus/Alertmanager/Grafana pack checks,
# and end-to-end tests that run the exporter binary next to a real Prometheus.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --test

echo "== swift build (warnings are errors)"
swift build -Xswiftc -warnings-as-errors
echo "== swift test"
swift test -Xswiftc -warnings-as-errors

if [ -x scripts/check-pack.sh ]; then
  echo "== pack checks"
  scripts/check-pack.sh
fi

echo "== end-to-end tests"
export EXPORTER_BIN="$PWD/.build/debug/provider-health-exporter"
python3 -m pytest -q tests
