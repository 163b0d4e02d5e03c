#!/usr/bin/env bash
# Debian package of the release binary: packages the binary given as the first argument (or, without one, the one
# scripts/build.sh builds) with its systemd unit, configuration and defaults from packaging/deb/, and prints the path
# of the .deb as the last line of stdout. Everything else goes to stderr.
#
#   scripts/package-deb.sh [BINARY] [OUTPUT_DIR]     # OUTPUT_DIR defaults to .build/deb
#
# dpkg-deb --build on a staged tree, not dpkg-buildpackage: the binary comes from scripts/build.sh (the one release
# build CI, the Dockerfile and the demo share), and a Swift toolchain is no Debian build dependency that a debian/
# directory could declare. Needs dpkg-dev (dpkg-shlibdeps) for the library dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

binary="${1:-}"
[ -n "$binary" ] || binary="$(scripts/build.sh | tail -n 1)"
out_dir="${2:-.build/deb}"
[ -x "$binary" ] || { echo "package-deb.sh: $binary is not an executable" >&2; exit 1; }
command -v dpkg-shlibdeps >/dev/null || { echo "package-deb.sh: dpkg-shlibdeps missing: apt-get install dpkg-dev" >&2; exit 1; }

package=provider-health-exporter
version="$("$binary" --version)"
arch="$(dpkg --print-architecture)"
src=packaging/deb
# The changelog date and every file's time: the last commit's, so that the same commit packages the same bytes.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}"
revision="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
root="$work/root"
doc="$root/usr/share/doc/$package"

install -D -m 0755 "$binary" "$root/usr/bin/$package"
# Stripped as dh_strip strips an executable (Debian policy 10.1); nothing to do when scripts/build.sh already strips.
strip --remove-section=.comment --remove-section=.note "$root/usr/bin/$package"
install -D -m 0644 "$src/$package.service" "$root/lib/systemd/system/$package.service"
install -D -m 0644 "$src/config.yml" "$root/etc/$package/config.yml"
# Root-only: it may hold provider API keys, and systemd reads it before dropping privileges.
install -D -m 0640 "$src/default" "$root/etc/default/$package"
install -D -m 0644 "$src/copyright" "$doc/copyright"
install -D -m 0644 README.md "$doc/README.md"
install -D -m 0644 examples/config.yml "$doc/examples/config.yml"
cat >"$doc/changelog" <<EOF
$package ($version) unstable; urgency=medium

  * Release $version, built from revision $revision.

 -- provider-health-exporter maintainers <maintainers@provider-health-exporter.org>  $(date -u -R -d "@$SOURCE_DATE_EPOCH")
EOF
gzip -9n "$doc/changelog" "$doc/README.md"

mkdir -p "$root/DEBIAN"
for script in postinst prerm postrm; do
  install -m 0755 "$src/$script" "$root/DEBIAN/$script"
done
printf '%s\n' "/etc/$package/config.yml" "/etc/default/$package" >"$root/DEBIAN/conffiles"

# adduser for the postinst's system user, procps for /bin/kill of the unit's ExecReload, the libraries the binary's
# ELF names (dpkg-shlibdeps wants a debian/control to sit in), then the runtime packages no library names
# (ca-certificates), from their one list.
mkdir -p "$work/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$package" "$package" >"$work/debian/control"
shlibs="$(cd "$work" && dpkg-shlibdeps -O "root/usr/bin/$package" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')"
[ -n "$shlibs" ] || { echo "package-deb.sh: dpkg-shlibdeps found no library dependencies" >&2; exit 1; }
depends="adduser, procps, $shlibs"
for name in $(sed 's/#.*//' packaging/runtime/packages.txt); do
  grep -qE "(^|, )$name( |,|$)" <<<"$shlibs" || depends+=", $name"
done

cat >"$root/DEBIAN/control" <<EOF
Package: $package
Version: $version
Architecture: $arch
Maintainer: provider-health-exporter maintainers <maintainers@provider-health-exporter.org>
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Pre-Depends: init-system-helpers (>= 1.54~)
Depends: $depends
Section: net
Priority: optional
Description: Prometheus exporter for the health of LLM API providers
 Probes LLM API providers (OpenAI and compatible APIs, Anthropic, Gemini,
 Ollama, Hugging Face, Azure OpenAI, Bedrock) and exports their health,
 latency and rate limits to Prometheus, with a JSON API, a status page and a
 SQLite history. Runs as a hardened systemd service.
EOF
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum >DEBIAN/md5sums)
find "$root" -exec touch --no-dereference -d "@$SOURCE_DATE_EPOCH" {} +

mkdir -p "$out_dir"
deb="$out_dir/${package}_${version}_${arch}.deb"
# gzip: xz takes minutes on the release binary, for a few megabytes less.
dpkg-deb --root-owner-group -Zgzip --build "$root" "$deb" >&2
echo "$deb"
