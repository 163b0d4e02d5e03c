#!/usr/bin/env bash
# The exporter binary a run script uses: $EXPORTER_BIN when set, else a fresh release build (scripts/build.sh).
# Prints the path as the last line of stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${EXPORTER_BIN:-}" ]; then
  echo "$EXPORTER_BIN"
else
  scripts/build.sh | tail -n 1
fi
