#!/usr/bin/env bash
# Chaos soak: the exporter for --duration (default 10m) against fake providers with random 5xx, 429 and
# latency spikes, configuration reloads every 30 s (alternating SIGHUP and POST /-/reload), wrk scraping
# /metrics without pause (every response checked by a Lua script), scrapes sampled and fully validated
# (prometheus_client, promtool check metrics) and passive outcomes posted throughout. Prints a summary
# (scrapes done and validated, RSS at warm-up / end / growth, reloads, outcomes, errors) and exits non-zero
# when a check fails: a crash, RSS growth of 10 % or more after warm-up, an invalid scrape, a failed reload,
# a lost outcome.
#
#   scripts/soak.sh                    # 10 minutes; builds release first (scripts/build.sh)
#   scripts/soak.sh --duration 60s     # the short mode CI runs
#   EXPORTER_BIN=path scripts/soak.sh  # use this binary, no build
#
# Other flags (--seed N, --reload-every 30s) go to integration/chaos/soak.py.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
if ((${#missing[@]})); then
  sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  echo "soak.sh: installing ${missing[*]}" >&2
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
python3 -c 'import prometheus_client' 2>/dev/null || python3 -m pip install -q prometheus_client

binary="$(scripts/exporter-binary.sh)"
exec python3 integration/chaos/soak.py --binary "$binary" "$@"
