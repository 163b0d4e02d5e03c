#!/usr/bin/env bash
# The deployment tests' base system: `debootstrap --variant=minbase bookworm` into DIR, with the host's resolver so
# that apt inside can reach the mirror ($DEBIAN_MIRROR, default deb.debian.org). The tests run it themselves, or use
# DIR from $DEPLOY_BASE_CHROOT when scripts/test.sh has made it in the background (it needs only the network and the
# disk, so it runs while Swift compiles).
#
# Downloaded .debs are kept in .build/debootstrap-cache (debootstrap checks each against the signed Release file):
# a rerun on the same machine skips the download, a fresh machine fills the cache. Never the unpacked tree.
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${1:?usage: make-base-chroot.sh DIR}"
cache="$PWD/.build/debootstrap-cache"
mkdir -p "$cache"
debootstrap --variant=minbase --cache-dir="$cache" bookworm "$target" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
cp /etc/resolv.conf "$target/etc/resolv.conf"
