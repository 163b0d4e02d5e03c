#!/usr/bin/env bash
# libFuzzer runs of the four parsers that read outside input:
#
#   config     the YAML configuration parser (parseConfiguration, and GET /config's rendering of what it accepts)
#   outcomes   the POST /api/v1/outcomes decoder and its batch checks (decodeOutcomes, checkBatch)
#   ratelimit  the rate-limit header parser, Gemini's retryDelay body included (parseRateLimit)
#   gateways   LiteLLM's logging payloads and OTLP trace exports, JSON and protobuf (decodeLiteLLMPayloads,
#              decodeOTLPTraces), through the SIMD structure walk of JSONStructure
#
# Each fuzzer is fuzz/FuzzEntry.swift (an LLVMFuzzerTestOneInput) around one FuzzTarget of Sources/FuzzHarness,
# the same functions the corpus regression test (Tests/FuzzCorpusTests) replays in `swift test`. An input fails
# when it crashes, hangs, runs out of memory, or breaks an invariant the harness checks.
#
# Usage: scripts/fuzz.sh [MODE] [--time SECONDS] [TARGET...]     (default: all four targets)
#
#   run       (default) build, fuzz each target for --time seconds (default 300), one target after the other,
#             starting from fuzz/corpus/TARGET, then merge the new inputs that reach new code into the corpus
#             (libFuzzer -merge=1). Findings go to .build-fuzz/artifacts/TARGET/ (crash-*, timeout-*, oom-*).
#             Merging counts code edges only (-use_counters=0), which keeps the corpus small.
#   replay    build, then run every corpus file once through each fuzzer (the sanitized twin of the Swift test)
#   minimize  build, then shrink each corpus to a small set of files reaching the same code edges (-merge=1 into
#             an empty folder); files named regress-* (inputs that once failed) are always kept
#   build     only build the fuzzers: .build-fuzz/fuzz-TARGET
#
# Build recipe: SwiftPM compiles the harness and the modules it fuzzes into .build-fuzz with
# `--sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address` (coverage instrumentation and
# AddressSanitizer for the code built from source; the system's libyaml is a shared library, outside both), then
# swiftc links fuzz/FuzzEntry.swift against those objects with -sanitize=fuzzer,address, once per target
# (-D FUZZ_CONFIG, ...). The normal `swift build` never sees the entry point. Needs the Swift toolchain on PATH (the
# Linux toolchain ships libFuzzer); FUZZ_SANITIZERS=fuzzer builds without AddressSanitizer.
#
# Limits per input: -timeout=10 (seconds; a slower input is a hang), -rss_limit_mb=2048, -malloc_limit_mb=1024,
# and -max_len per target below. Extra libFuzzer flags can be given in FUZZ_FLAGS.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=run
seconds=300
targets=()
while (($#)); do
  case "$1" in
    run | replay | minimize | build) mode="$1" ;;
    --time) seconds="$2"; shift ;;
    --time=*) seconds="${1#--time=}" ;;
    config | outcomes | ratelimit | gateways) targets+=("$1") ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "fuzz.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
((${#targets[@]})) || targets=(config outcomes ratelimit gateways)

scratch=.build-fuzz
# The Swift runtime's own crash backtracer would symbolicate for minutes under AddressSanitizer: libFuzzer reports.
export SWIFT_BACKTRACE=enable=no
sanitizers="${FUZZ_SANITIZERS:-fuzzer,address}"
max_len() {
  case "$1" in
    config) echo 8192 ;;
    outcomes) echo 16384 ;;
    ratelimit) echo 4096 ;;
    gateways) echo 65536 ;;
  esac
}

build() {
  local spm_flags=(-c release --scratch-path "$scratch" --target FuzzHarness)
  local sanitizer
  for sanitizer in ${sanitizers//,/ }; do spm_flags+=(--sanitize="$sanitizer"); done
  # SwiftPM hands swiftc one -sanitize= per sanitizer, and for swiftc the last one wins: the Swift modules would get
  # AddressSanitizer without libFuzzer's coverage counters, and the fuzzers would see only the C code. The combined
  # list, given last, keeps both (clang adds its -fsanitize= flags up, so the C targets had both already).
  spm_flags+=(-Xswiftc -sanitize="$sanitizers")
  echo "== swift build ${spm_flags[*]}" >&2
  swift build "${spm_flags[@]}" >&2
  local bin
  bin="$(swift build "${spm_flags[@]}" --show-bin-path)"
  # The objects of the harness and of everything it depends on: what `--target FuzzHarness` built in this
  # scratch folder is exactly that closure.
  local objects=() object
  while IFS= read -r object; do objects+=("$object"); done < <(find "$bin" -path '*.build/*' -name '*.o' | sort)
  # Public interfaces import C modules (NIO's, the system libyaml's), so the entry point needs their module maps:
  # the ones SwiftPM generated, the packages' own for the C targets that were built, and this package's system
  # libraries (their maps live beside their sources; SwiftPM generates none for them).
  local maps=() map name
  while IFS= read -r map; do maps+=(-Xcc "-fmodule-map-file=$map"); done < <(
    find "$bin" -maxdepth 2 -path '*.build/module.modulemap' | sort)
  while IFS= read -r map; do
    name="$(basename "$(dirname "$(dirname "$map")")")"
    [ -d "$bin/$name.build" ] && maps+=(-Xcc "-fmodule-map-file=$map")
  done < <(find "$scratch/checkouts" -path '*/Sources/*/include/module.modulemap' | sort)
  while IFS= read -r map; do maps+=(-Xcc "-fmodule-map-file=$map"); done < <(
    find Sources -mindepth 2 -maxdepth 2 -name module.modulemap | sort)
  local target define
  for target in "${targets[@]}"; do
    define="FUZZ_$(tr '[:lower:]' '[:upper:]' <<<"$target")"
    echo "== linking $scratch/fuzz-$target" >&2
    swiftc -O -parse-as-library -use-ld=lld -sanitize="$sanitizers" -D "$define" -module-name "Fuzz_$target" \
      -I "$bin/Modules" "${maps[@]}" fuzz/FuzzEntry.swift "${objects[@]}" \
      -o "$scratch/fuzz-$target"
  done
}

# libFuzzer flags every run shares.
common_flags() {
  echo -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 -max_len="$(max_len "$1")" \
    -dict="fuzz/dict/$1.dict" -print_final_stats=1 ${FUZZ_FLAGS:-}
}

fuzz() {
  local target="$1" corpus="fuzz/corpus/$1" work="$scratch/work/$1" artifacts="$scratch/artifacts/$1"
  rm -rf "$work"
  mkdir -p "$work" "$artifacts"
  echo "== fuzzing $target for ${seconds}s from $corpus ($(ls "$corpus" | wc -l) files)" >&2
  local status=0
  # shellcheck disable=SC2046
  "$scratch/fuzz-$target" $(common_flags "$target") -max_total_time="$seconds" \
    -artifact_prefix="$artifacts/" "$work" "$corpus" 2>&1 | tee "$scratch/fuzz-$target.log" >&2 || status=$?
  echo "== merging new inputs of $target into $corpus" >&2
  # shellcheck disable=SC2046
  "$scratch/fuzz-$target" $(common_flags "$target") -use_counters=0 -merge=1 "$corpus" "$work" 2>&1 | tail -n 3 >&2
  echo "== $target: $(ls "$corpus" | wc -l) files, $(du -sb "$corpus" | cut -f1) bytes" >&2
  return "$status"
}

replay() {
  local target="$1" corpus="fuzz/corpus/$1"
  echo "== replaying $corpus ($(ls "$corpus" | wc -l) files)" >&2
  # shellcheck disable=SC2046
  "$scratch/fuzz-$target" $(common_flags "$target") -runs=0 "$corpus" 2>&1 | tail -n 12 >&2
}

minimize() {
  local target="$1" corpus="fuzz/corpus/$1" smaller="$scratch/minimized/$1"
  rm -rf "$smaller"
  mkdir -p "$smaller"
  # shellcheck disable=SC2046
  "$scratch/fuzz-$target" $(common_flags "$target") -use_counters=0 -merge=1 "$smaller" "$corpus" 2>&1 | tail -n 3 >&2
  find "$corpus" -maxdepth 1 -name 'regress-*' -exec cp {} "$smaller/" \;
  find "$corpus" -maxdepth 1 -type f ! -name 'regress-*' -delete
  find "$smaller" -maxdepth 1 -type f -exec cp {} "$corpus/" \;
  echo "== $target minimized: $(ls "$corpus" | wc -l) files, $(du -sb "$corpus" | cut -f1) bytes" >&2
}

build
[ "$mode" = build ] && exit 0
failed=0
for target in "${targets[@]}"; do
  case "$mode" in
    run) fuzz "$target" || failed=1 ;;
    replay) replay "$target" || failed=1 ;;
    minimize) minimize "$target" || failed=1 ;;
  esac
done
if ((failed)); then
  echo "fuzz.sh: a fuzzer failed; see .build-fuzz/artifacts/ and the logs in .build-fuzz/" >&2
fi
exit "$failed"
