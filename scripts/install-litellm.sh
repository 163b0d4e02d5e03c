#!/usr/bin/env bash
# Installs the LiteLLM proxy that the LiteLLM ingest test runs (`litellm[proxy]`, the version its payload fixtures
# were recorded from), in a virtual environment of its own so that its many pinned dependencies stay out of the test
# interpreter. integration/e2e/litellm_proxy.py looks for it at $LITELLM_VENV (default
# ~/.cache/provider-health-exporter/litellm-venv). Does nothing when it is there.
# scripts/test.sh runs this in the background while Swift compiles; scripts/install-deps.sh --test runs it otherwise.
set -euo pipefail
litellm_venv="${LITELLM_VENV:-$HOME/.cache/provider-health-exporter/litellm-venv}"
# The marker is written last: an install that was interrupted is started again, not taken for a complete one.
if [ ! -f "$litellm_venv/.installed" ]; then
  rm -rf "$litellm_venv"
  python3 -m venv "$litellm_venv"
  "$litellm_venv/bin/pip" install -q 'litellm[proxy]==1.108.7'
  touch "$litellm_venv/.installed"
fi
