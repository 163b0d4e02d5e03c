#!/usr/bin/env bash
# Release build of provider-health-exporter: the one build recipe shared by CI
# and the Dockerfile.
#
# Installs the Debian build dependencies when they are missing, builds the
# executable with warnings as errors (and the Swift stdlib linked statically on
# Linux, symbols stripped at link time: the shipped binary is about a third of
# the size; `swift build` debug builds keep everything for the debugger), and
# prints the path of the binary as the last line of stdout.
# Everything else goes to stderr. Extra arguments are passed to `swift build`.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DEPS=(libsqlite3-dev libyaml-dev zlib1g-dev)

install_missing_build_deps() {
  command -v dpkg-query >/dev/null 2>&1 || return 0 # not a Debian-like system
  local missing=() pkg
  for pkg in "${BUILD_DEPS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  ((${#missing[@]})) || return 0
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
  echo "build.sh: installing ${missing[*]}" >&2
  "${sudo[@]}" apt-get update >&2
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >&2
}

install_missing_build_deps

flags=(-c release --product provider-health-exporter -Xswiftc -warnings-as-errors)
if [ "$(uname -s)" = Linux ]; then
  flags+=(--static-swift-stdlib -Xlinker --strip-all)
fi

swift build "${flags[@]}" "$@" >&2
bin_dir="$(swift build "${flags[@]}" "$@" --show-bin-path)"
binary="$bin_dir/provider-health-exporter"
test -x "$binary" || { echo "build.sh: $binary was not built" >&2; exit 1; }
echo "$binary"
