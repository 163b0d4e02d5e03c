#!/usr/bin/env bash
# Installs what building and testing need, when it is missing: Debian packages and Python test helpers.
# Safe to run repeatedly; does nothing when everything is present.
set -euo pipefail

packages=(libsqlite3-dev libyaml-dev zlib1g-dev curl openssl python3-venv)
if [ "${1:-}" = "--test" ]; then
  # tinyproxy: the probe tests go through a real HTTP proxy.
  packages+=(prometheus prometheus-alertmanager jsonnet chromium wrk tinyproxy)
  # The deployment tests (integration/deploy): the Debian package and the runtime image in debootstrap chroots.
  packages+=(debootstrap dpkg-dev lintian)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ "${1:-}" = "--test" ]; then
  # botocore: the bedrock tests' fake checks every SigV4 signature with it.
  # opentelemetry-*: the OTLP tests export spans with the real OpenTelemetry Python SDK (it brings protobuf).
  # pytest-xdist: scripts/test.sh runs the end-to-end tests that wait on timelines two at a time.
  python3 -c 'import prometheus_client, pytest, xdist, botocore, opentelemetry.sdk, opentelemetry.exporter.otlp.proto.http' \
    2>/dev/null || python3 -m pip install -q prometheus_client pytest pytest-xdist botocore opentelemetry-sdk \
    opentelemetry-exporter-otlp-proto-http
fi

if [ "${1:-}" = "--test" ] && [ "${INSTALL_LITELLM:-yes}" != "background" ]; then
  # The LiteLLM ingest test runs the real proxy (scripts/test.sh installs it in the background instead).
  "$(dirname "$0")/install-litellm.sh"
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "swift is not on PATH: install Swift 6.1 or later (https://www.swift.org/install/)" >&2
  exit 1
fi
