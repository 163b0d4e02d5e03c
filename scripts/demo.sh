#!/usr/bin/env bash
# Builds the exporter and runs the built-in demo: six simulated providers on loopback, one per behaviour, monitored
# for real. Open http://127.0.0.1:9464/metrics. Extra flags are passed through.
#
# The build is scripts/build.sh, the release build the tests, the Dockerfile and the Debian package use: after the
# tests have run, the demo starts without compiling again.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
binary="$(scripts/build.sh | tail -n 1)"
exec "$binary" --demo --web.listen-address "${LISTEN:-127.0.0.1:9464}" "$@"
