#!/usr/bin/env bash
# Checks the monitoring pack: the generated rule files and dashboards are up to
# date with the mixin (mixin/), Prometheus configuration and rules (with their
# unit tests), the Alertmanager configuration and routing, and the dashboard
# lint and pack consistency tests. Installs prometheus, prometheus-alertmanager
# (for promtool and amtool) and jsonnet when they are missing.
#
#   scripts/check-pack.sh          static checks (no exporter binary needed)
#   scripts/check-pack.sh --e2e    also the end-to-end tests of integration/pack
#                                  (exporter binary from $EXPORTER_BIN, default
#                                  .build/debug/provider-health-exporter)
#
# Runs every check, then exits non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."

e2e=false
for arg in "$@"; do
  case "$arg" in
    --e2e) e2e=true ;;
    *) echo "usage: $0 [--e2e]" >&2; exit 2 ;;
  esac
done

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

install_tools() {
  local missing=()
  command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
  command -v amtool >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
  command -v jsonnet >/dev/null 2>&1 || missing+=(jsonnet)
  if ((${#missing[@]})); then
    echo "==> installing ${missing[*]}"
    "${sudo_cmd[@]}" apt-get update
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
  fi
  if ! python3 -c 'import yaml, pytest' >/dev/null 2>&1; then
    echo "==> installing PyYAML and pytest"
    python3 -m pip install --quiet pyyaml pytest ||
      DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y --no-install-recommends python3-yaml python3-pytest
  fi
}

failed=()
check() {
  echo "==> $*"
  if ! "$@"; then
    failed+=("$*")
  fi
}

install_tools || { echo "check-pack: could not install the tools" >&2; exit 1; }

# prometheus/alerts.yml, prometheus/rules.yml and the dashboards are rendered from mixin/.
check scripts/generate-pack.sh --check

# promtool check config also checks the rule files prometheus.yml names.
check promtool check config prometheus.yml
for rules in prometheus/*.yml; do
  check promtool check rules "$rules"
done
for tests in prometheus/tests/*_test.yml; do
  check promtool test rules "$tests"
done

check amtool check-config alertmanager.yml
check amtool config routes test --config.file=alertmanager.yml --verify.receivers=pager \
  severity=critical alertname=ProviderDown provider=example
check amtool config routes test --config.file=alertmanager.yml --verify.receivers=ticket \
  severity=warning alertname=ProviderRateLimited provider=example
check amtool config routes test --config.file=alertmanager.yml --verify.receivers=pager \
  severity=critical alertname=ProviderHealthExporterJobDown
check amtool config routes test --config.file=alertmanager.yml --verify.receivers=ticket \
  severity=warning alertname=ProviderHealthExporterDown instance=example:9464

check python3 -m pytest -q integration/pack/test_dashboards.py integration/pack/test_pack_files.py \
  integration/pack/test_mixin.py

if $e2e; then
  check python3 -m pytest -q integration/pack/test_e2e_alerting.py integration/pack/test_dashboard_queries.py \
    integration/pack/test_e2e_ha.py
fi

if ((${#failed[@]})); then
  echo
  echo "check-pack: ${#failed[@]} check(s) failed:" >&2
  printf '  %s\n' "${failed[@]}" >&2
  exit 1
fi
echo
echo "check-pack: all checks passed"
