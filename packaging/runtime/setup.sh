#!/bin/sh
# The container image's runtime stage, run as root inside a Debian bookworm (slim image or debootstrap minbase
# chroot): installs the runtime packages, creates the unprivileged user and the directories. The Dockerfile runs it,
# and so does the runtime-image test (integration/deploy), so that what is tested is what the image does.
set -eu
here="$(dirname "$0")"

apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(sed 's/#.*//' "$here/packages.txt")
rm -rf /var/lib/apt/lists/*

groupadd --system --gid 65532 exporter
useradd --system --uid 65532 --gid exporter --no-create-home \
  --home-dir /var/lib/provider-health-exporter --shell /usr/sbin/nologin exporter
install -d -o exporter -g exporter -m 0750 /var/lib/provider-health-exporter
install -d -m 0755 /etc/provider-health-exporter
