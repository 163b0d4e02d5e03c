#!/usr/bin/env bash
# Runs the Swift test suite under AddressSanitizer and ThreadSanitizer, each in its own build folder.
#
#   scripts/sanitize.sh            # both
#   scripts/sanitize.sh address    # one of: address, thread
#
# Each sanitizer builds the package and its dependencies again (a few minutes each on 2 cores). A report
# from either sanitizer fails the run. Not part of scripts/test.sh: run it before a release, or in a
# separate CI job.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test

sanitizers=("${@:-address thread}")
# shellcheck disable=SC2206
sanitizers=(${sanitizers[*]})
status=0
for sanitizer in "${sanitizers[@]}"; do
  case "$sanitizer" in
    address) options=(ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:halt_on_error=1) ;;
    thread) options=(TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1) ;;
    *) echo "unknown sanitizer: $sanitizer (address or thread)" >&2; exit 2 ;;
  esac
  echo "== swift test --sanitize=$sanitizer"
  log=".build-$sanitizer.log"
  start=$(date +%s)
  if env "${options[@]}" swift test --sanitize="$sanitizer" --scratch-path ".build-$sanitizer" 2>&1 | tee "$log"; then
    echo "== $sanitizer: passed in $(( $(date +%s) - start )) s"
  else
    echo "== $sanitizer: FAILED (see $log)"
    status=1
  fi
  if grep -qE "ERROR: AddressSanitizer|WARNING: ThreadSanitizer|SUMMARY: (Address|Thread|UndefinedBehavior)Sanitizer" "$log"; then
    echo "== $sanitizer: the log holds a sanitizer report" >&2
    grep -nE "ERROR: AddressSanitizer|WARNING: ThreadSanitizer|SUMMARY: .*Sanitizer" "$log" | head -20 >&2
    status=1
  fi
done
exit $status
