"""The container image's runtime stage without Docker: a debootstrap minbase of bookworm, the stage's own setup
script (packaging/runtime/setup.sh: exactly the runtime packages, the user, the directories), the release binary
copied in as the Dockerfile copies it, then run as the image runs it: user 65532 in its WORKDIR, serving /metrics.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from conftest import DEMO_FAST, REPO_ROOT, in_chroot, serve_in_chroot, timed, wait_for

# What the Dockerfile's runtime stage does after setup.sh; test_dockerfile_runs_what_this_test_runs keeps them equal.
BINARY = "/usr/local/bin/provider-health-exporter"
USER = "65532:65532"
WORKDIR = "/var/lib/provider-health-exporter"


def runtime_stage():
    text = (REPO_ROOT / "Dockerfile").read_text()
    return text[text.rindex("\nFROM "):]


def test_dockerfile_runs_what_this_test_runs():
    stage = runtime_stage()
    assert "COPY packaging/runtime/ /tmp/runtime/" in stage and "RUN /tmp/runtime/setup.sh" in stage, \
        "the runtime stage must install its packages with packaging/runtime/setup.sh, the script tested here"
    assert "apt-get" not in stage, "packages belong in packaging/runtime/packages.txt, installed by setup.sh"
    assert f"COPY --from=build /out/provider-health-exporter {BINARY}" in stage
    assert f"USER {USER}" in stage
    assert f"WORKDIR {WORKDIR}" in stage
    assert re.search(rf'ENTRYPOINT \["{re.escape(BINARY)}"\]', stage)


@pytest.fixture(scope="module")
def runtime_image(copy_chroot, release_binary):
    root = copy_chroot("runtime-image")
    shutil.copytree(REPO_ROOT / "packaging" / "runtime", root / "tmp" / "runtime")
    with timed("runtime stage: packaging/runtime/setup.sh in the chroot"):
        in_chroot(root, "/tmp/runtime/setup.sh", what="the runtime stage's setup.sh")
    shutil.rmtree(root / "tmp" / "runtime")
    shutil.copy2(release_binary, root / BINARY.lstrip("/"))
    return root


def test_runtime_image_serves_metrics(runtime_image, tmp_path):
    # The Swift runtime is linked statically, and every other library must come from the runtime packages: ldd
    # inside the image says which one is missing when the binary cannot start.
    ldd = in_chroot(runtime_image, "ldd", BINARY, what="ldd of the binary in the runtime image")
    assert "not found" not in ldd.stdout, f"libraries missing from the runtime image:\n{ldd.stdout}"
    with timed("runtime image: demo serving /metrics"), \
            serve_in_chroot(runtime_image, USER, WORKDIR, [BINARY, "--demo", *DEMO_FAST], tmp_path / "exporter.log") as served:
        def demo_metrics():
            status, _, body = served.get("/metrics")
            text = body.decode()
            return status == 200 and 'provider_status{provider="demo-healthy",status="healthy"} 1' in text and text
        text = wait_for(demo_metrics, 30, "demo-healthy healthy in /metrics", served.log)
        assert "provider_health_exporter_build_info" in text
        # The history lands in the WORKDIR (the default relative --history.path), writable by the image's user.
        wait_for(lambda: (runtime_image / WORKDIR.lstrip("/") / "provider-health-history.sqlite").exists(), 30,
                 "the history file in the WORKDIR", served.log)


def test_without_proc_the_binary_refuses_instead_of_serving_defaults(runtime_image):
    # The Swift runtime reads the command line from /proc/self/cmdline: in a chroot without /proc the binary sees no
    # arguments. It must say so and stop, not serve its defaults in place of the configuration it was given.
    result = subprocess.run(["chroot", str(runtime_image), BINARY, "--config.check", "--config.file", "/nonexistent"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "cannot read the command line (is /proc mounted?)" in result.stderr
    assert "listening" not in result.stdout + result.stderr


def test_the_shipped_binary_is_at_most_40_mb(release_binary):
    # Any `import Foundation` in the static link brings ICU's data back (about 44 MB); see "Binary size and memory at
    # idle" in docs/performance.md.
    size = release_binary.stat().st_size
    assert size <= 40_000_000, f"{release_binary} is {size / 1e6:.1f} MB (limit 40 MB): did full Foundation come back?"
