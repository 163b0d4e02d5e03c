#!/usr/bin/env bash
# Benchmarks the exporter beside its peers and prints one table with the targets (docs/performance.md).
#   bench/run.sh            full run (~12 minutes: 10 s wrk runs, 5 minutes of side-by-side RSS)
#   bench/run.sh --smoke    every measurement with tiny durations (well under a minute after the build)
#   bench/run.sh --only otlp     one area (metrics, aggregation, ingest, otlp, probes, memory)
#   bench/run.sh --only http-server   the exporter's HTTP server against Hummingbird 2 on /metrics (optional row,
#                           not in the full run; builds bench/http-server, which compiles Hummingbird: minutes)
# Peers: ../shared/bench (python_peer.py, go_peer/), or BENCH_PEERS=/path/to/bench.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
peers=${BENCH_PEERS:-$repo/../shared/bench}
[ -f "$peers/python_peer.py" ] && [ -d "$peers/go_peer" ] || { echo "peers not found in $peers (set BENCH_PEERS)" >&2; exit 1; }

# System packages: apt-get update once, only when something is missing.
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v go >/dev/null || need+=(golang-go)
[ -d /usr/share/gocode/src/github.com/prometheus/client_golang ] || need+=(golang-github-prometheus-client-golang-dev)
command -v cc >/dev/null || need+=(gcc)
command -v curl >/dev/null || need+=(curl)
dpkg -s libsqlite3-dev >/dev/null 2>&1 || need+=(libsqlite3-dev)
dpkg -s libyaml-dev >/dev/null 2>&1 || need+=(libyaml-dev)
if [ ${#need[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
export PATH=$PATH:/usr/sbin
# The OTLP row's export is made by the OpenTelemetry Python SDK.
python3 -c 'import prometheus_client, opentelemetry.sdk, opentelemetry.exporter.otlp.proto.http' 2>/dev/null \
    || python3 -m pip install -q prometheus_client opentelemetry-sdk opentelemetry-exporter-otlp-proto-http 2>/dev/null \
    || python3 -m pip install -q --break-system-packages prometheus_client opentelemetry-sdk \
        opentelemetry-exporter-otlp-proto-http

# Build products of the benchmark live under .build (ignored by git) so that repeated runs reuse them.
out=$repo/.build/bench
mkdir -p "$out"

# The same flags as scripts/build.sh (the shipped binary), so the two share one release build.
echo "building release (swift build -c release --static-swift-stdlib -Xlinker --strip-all) ..." >&2
swift build -c release -Xswiftc -warnings-as-errors --static-swift-stdlib -Xlinker --strip-all >"$out/build.log" 2>&1 \
    || { tail -40 "$out/build.log" >&2; exit 1; }

if [ ! -x "$out/go_peer" ] || [ -n "$(find "$peers/go_peer" -newer "$out/go_peer" -name '*.go')" ]; then
    echo "building the Go peer ..." >&2
    (cd "$peers/go_peer" && GOPATH=/usr/share/gocode GO111MODULE=off GOPROXY=off GOCACHE="$out/gocache" \
        go build -o "$out/go_peer" .)
fi

# The HTTP server comparison is a package of its own (bench/http-server), built only when asked for.
if [[ " $* " == *http-server* ]]; then
    echo "building bench/http-server release ..." >&2
    (cd bench/http-server && swift build -c release --static-swift-stdlib) \
        >"$out/http-server-build.log" 2>&1 || { tail -40 "$out/http-server-build.log" >&2; exit 1; }
fi

# Counts malloc calls for the aggregation benchmark's allocation column.
[ "$out/alloc-count.so" -nt bench/alloc-count.c ] || cc -O2 -shared -fPIC -o "$out/alloc-count.so" bench/alloc-count.c

python3 bench/bench.py --go-peer "$out/go_peer" --alloc-lib "$out/alloc-count.so" --peers "$peers" "$@"
