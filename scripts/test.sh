#!/usr/bin/env bash
# The whole test suite: Swift unit and integration tests, the Prometheus/Alertmanager/Grafana pack checks,
# the Debian package and the runtime image in debootstrap chroots, and end-to-end tests that run the exporter
# binary next to a real Prometheus. Prints the seconds of each stage at the end (CI must stay under 30 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."

stage_times=()
print_stage_times() {
  ((${#stage_times[@]})) || return 0
  echo "== seconds per stage"
  printf '%s\n' "${stage_times[@]}"
  echo "$(printf '%5d' "$SECONDS") total"
}
trap print_stage_times EXIT

# stage NAME COMMAND...: runs the command, recording how long it took.
stage() {
  local name="$1" start=$SECONDS
  shift
  echo "== $name"
  "$@"
  stage_times+=("$(printf '%5d' $((SECONDS - start))) $name")
}

release_build() {
  RELEASE_BIN="$(scripts/build.sh | tail -n 1)"
  export RELEASE_BIN
}

stage "install dependencies" env INSTALL_LITELLM=background scripts/install-deps.sh --test

# The deployment tests' debootstrap needs only the network and the disk: it runs in the background while Swift
# compiles, and the tests take it from $DEPLOY_BASE_CHROOT.
deploy_dir="$(mktemp -d)"
export DEPLOY_BASE_CHROOT="$deploy_dir/base"
integration/deploy/make-base-chroot.sh "$DEPLOY_BASE_CHROOT" >"$deploy_dir/debootstrap.log" 2>&1 &
debootstrap_pid=$!
cleanup() {
  kill "$debootstrap_pid" "${litellm_pid:-}" 2>/dev/null || true
  wait "$debootstrap_pid" 2>/dev/null || true
  rm -rf --one-file-system "$deploy_dir" "${integration_dir:-}" || true
  print_stage_times
}
trap cleanup EXIT
# The LiteLLM proxy for its ingest test: pip, in the background too.
integration_dir="$(mktemp -d)"
scripts/install-litellm.sh >"$integration_dir/litellm-install.log" 2>&1 &
litellm_pid=$!
wait_for_litellm() {
  wait "$litellm_pid" || { cat "$integration_dir/litellm-install.log"; echo "installing litellm[proxy] failed" >&2; return 1; }
}
wait_for_base_chroot() {
  wait "$debootstrap_pid" || { cat "$deploy_dir/debootstrap.log"; echo "debootstrap of the base chroot failed" >&2; return 1; }
}

stage "swift build (warnings are errors)" swift build -Xswiftc -warnings-as-errors
stage "swift test" swift test -Xswiftc -warnings-as-errors
stage "pack checks: generated files up to date, promtool, amtool, dashboard lint" scripts/check-pack.sh
stage "release build (scripts/build.sh, as the Dockerfile, the package and the demo build it)" release_build
stage "wait for the base chroot (debootstrap in the background)" wait_for_base_chroot
stage "deployment: Debian package and runtime image in debootstrap chroots" \
  python3 -m pytest -q -p no:cacheprovider --durations=5 integration/deploy

# The end-to-end tests run the release binary, the one that ships. Most of them wait on timelines, not on the CPU
# (the whole set keeps a fifth of the two cores busy), so they run two at a time, a file per worker. The ones that
# load the machine on purpose and judge latency while they do (the soak's wrk, a thousand hanging providers,
# slowloris connections) run first, alone.
export EXPORTER_BIN="$RELEASE_BIN"
stage "wait for the LiteLLM proxy's install (pip in the background)" wait_for_litellm
e2e_tests=(integration/e2e integration/pack/test_e2e_alerting.py integration/pack/test_e2e_ha.py
  integration/pack/test_dashboard_queries.py integration/pack/test_llm_latency.py)
e2e_alone=(integration/e2e/test_soak_short.py integration/e2e/test_hanging_providers.py
  integration/e2e/test_http_abuse.py)
stage "end-to-end tests that load the machine, alone" \
  python3 -m pytest -q -p no:cacheprovider --durations=5 "${e2e_alone[@]}"
stage "end-to-end tests, two at a time: the exporter binary, real Prometheus and Alertmanager" \
  python3 -m pytest -q -p no:cacheprovider --durations=15 -n 2 --dist loadfile "${e2e_tests[@]}" \
  --ignore "${e2e_alone[0]}" --ignore "${e2e_alone[1]}" --ignore "${e2e_alone[2]}"
