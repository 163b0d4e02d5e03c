# syntax=docker/dockerfile:1
# provider-health-exporter container image.
#
#   docker build -t provider-health-exporter .
#   docker run --rm -p 9464:9464 provider-health-exporter --demo --web.listen-address 0.0.0.0:9464
ARG SWIFT_IMAGE=swift:6.1-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# ---------------------------------------------------------------- build stage
FROM ${SWIFT_IMAGE} AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
WORKDIR /src
# Resolve dependencies first so that source edits reuse this layer.
COPY Package.swift ./
RUN swift package resolve
COPY scripts/build.sh scripts/build.sh
COPY Sources Sources
COPY Tests Tests
# The same build script as CI; it prints the binary path last.
RUN binary="$(scripts/build.sh | tail -n 1)" \
    && install -D -m 0755 "$binary" /out/provider-health-exporter

# -------------------------------------------------------------- runtime stage
FROM ${RUNTIME_IMAGE}
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="provider-health-exporter" \
      org.opencontainers.image.description="Prometheus exporter for the health of LLM API providers" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0"

# The runtime packages (packaging/runtime/packages.txt), the unprivileged user 65532 and its directories: the same
# script the runtime-image test runs in a debootstrap chroot of bookworm (integration/deploy), so this stage is tested
# without a Docker engine.
COPY packaging/runtime/ /tmp/runtime/
RUN /tmp/runtime/setup.sh && rm -rf /tmp/runtime

COPY --from=build /out/provider-health-exporter /usr/local/bin/provider-health-exporter

USER 65532:65532
# The history database and anything else written at run time lands here.
WORKDIR /var/lib/provider-health-exporter
VOLUME ["/var/lib/provider-health-exporter"]
EXPOSE 9464

ENTRYPOINT ["/usr/local/bin/provider-health-exporter"]
# Providers come from the usual API key environment variables; to use a
# configuration file instead, mount it and pass
#   --config.file /etc/provider-health-exporter/config.yml --web.listen-address 0.0.0.0:9464
CMD ["--web.listen-address", "0.0.0.0:9464"]
