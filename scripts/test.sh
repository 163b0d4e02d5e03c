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

echo "== pack checks: generated files up to date, promtool, amtool, dashboard lint"
scripts/check-pack.sh

echo "== release build as the Dockerfile runs it, and its runtime libraries"
RELEASE_BIN="$(scripts/build.sh | tail -n 1)"
export RELEASE_BIN

echo "== end-to-end tests: the exporter binary, real Prometheus and Alertmanager"
export EXPORTER_BIN="$PWD/.build/debug/provider-health-exporter"
python3 -m pytest -q -p no:cacheprovider integration/e2e integration/pack/test_e2e_alerting.py integration/pack/test_e2e_ha.py integration/pack/test_dashboard_queries.py integration/pack/test_llm_latency.py integration/pack/test_runtime_libs.py
