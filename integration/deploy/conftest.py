"""Deployment tests: the Debian package and the container image's runtime stage, each in a debootstrap chroot of
Debian bookworm (minbase), run for real without Docker or a booted systemd.

One `debootstrap --variant=minbase bookworm` per session (make-base-chroot.sh; scripts/test.sh makes it in the
background and passes it in $DEPLOY_BASE_CHROOT); each test chroot is a copy of it (seconds, not minutes).
Needs root (debootstrap, chroot, unshare), the Debian mirror ($DEBIAN_MIRROR, default deb.debian.org), the tools
`scripts/install-deps.sh --test` installs (debootstrap, dpkg-dev, lintian) and the release binary ($RELEASE_BIN, as
scripts/test.sh exports it). The seconds of each step are printed at the end of the run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "integration" / "chaos"))

from common import free_port, request, wait_until  # noqa: E402

# The demo with a cycle a second: its first statuses within seconds, not after the default 30 s cycle.
DEMO_FAST = ("--aggregation.interval", "1s")

STEP_SECONDS: list[tuple[str, float]] = []


@contextmanager
def timed(step):
    start = time.monotonic()
    try:
        yield
    finally:
        STEP_SECONDS.append((step, time.monotonic() - start))


def pytest_terminal_summary(terminalreporter):
    if STEP_SECONDS:
        terminalreporter.write_sep("-", "deployment test steps (seconds)")
        for step, seconds in STEP_SECONDS:
            terminalreporter.write_line(f"{seconds:7.1f}  {step}")


def run(cmd, what, **kwargs):
    """Runs cmd; a non-zero exit fails the test with what it was for and the command's output."""
    result = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        pytest.fail(f"{what} failed (exit {result.returncode}): {' '.join(map(str, cmd))}\n"
                    f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}", pytrace=False)
    return result


def in_chroot(root, *cmd, what, **kwargs):
    """Runs cmd inside the chroot with its own /proc (unshare --mount-proc: gone when cmd ends, whatever happens).
    Without /proc a Swift program sees no arguments: the runtime reads them from /proc/self/cmdline."""
    return run(["unshare", f"--mount-proc={root}/proc", "chroot", root, *cmd], what, **kwargs)


def require_tools():
    if os.geteuid() != 0:
        pytest.fail("the deployment tests need root (debootstrap, chroot, unshare)", pytrace=False)
    missing = [tool for tool in ("debootstrap", "dpkg-deb", "dpkg-shlibdeps", "lintian", "unshare")
               if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: run scripts/install-deps.sh --test", pytrace=False)


@pytest.fixture(scope="session")
def release_binary():
    path = os.environ.get("RELEASE_BIN")
    if not path or not os.access(path, os.X_OK):
        pytest.fail("set RELEASE_BIN to the binary scripts/build.sh printed (scripts/test.sh does)", pytrace=False)
    return Path(path)


@pytest.fixture(scope="session")
def base_chroot(tmp_path_factory):
    """A pristine debootstrap minbase of bookworm (make-base-chroot.sh); tests work on copies (copy_chroot)."""
    require_tools()
    prepared = os.environ.get("DEPLOY_BASE_CHROOT")
    if prepared:
        root = Path(prepared)
        if not (root / "etc" / "debian_version").exists():
            pytest.fail(f"DEPLOY_BASE_CHROOT={prepared} holds no debootstrapped system", pytrace=False)
        return root
    root = tmp_path_factory.mktemp("debootstrap") / "base"
    with timed("debootstrap --variant=minbase bookworm"):
        run([Path(__file__).parent / "make-base-chroot.sh", root], "debootstrap of the base chroot")
    return root


@pytest.fixture(scope="session")
def copy_chroot(base_chroot, tmp_path_factory):
    copies = []

    def copy(name):
        target = tmp_path_factory.mktemp(name) / "root"
        with timed(f"copy the base chroot ({name})"):
            run(["cp", "-a", base_chroot, target], f"copying the base chroot to {target}")
        copies.append(target)
        return target
    yield copy
    # A few hundred megabytes each; --one-file-system never follows into a mount left behind.
    for target in copies:
        subprocess.run(["rm", "-rf", "--one-file-system", str(target)], check=False)


class ChrootProcess:
    def __init__(self, proc, port, log_path):
        self.proc, self.port, self.log_path = proc, port, log_path
        self.base = f"http://127.0.0.1:{port}"

    def get(self, path):
        return request(self.base + path, timeout=5)

    def log(self):
        return self.log_path.read_text(errors="replace")


@contextmanager
def serve_in_chroot(root, userspec, workdir, args, log_path):
    """Runs args as userspec in workdir inside the chroot, with its own /proc (unshare --mount-proc: unmounted when
    the process ends, whatever happens), listening on a free loopback port; yields once /-/healthy answers."""
    port = free_port()
    command = [*args, "--web.listen-address", f"127.0.0.1:{port}"]
    with open(log_path, "w") as log:
        proc = subprocess.Popen(["unshare", f"--mount-proc={root}/proc", "chroot", f"--userspec={userspec}", str(root),
                                 "/bin/sh", "-c", 'cd "$0" && exec "$@"', workdir, *command],
                                stdout=log, stderr=subprocess.STDOUT)
    served = ChrootProcess(proc, port, log_path)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"{' '.join(command)} exited with {proc.returncode} in the chroot {root}:\n{served.log()}",
                            pytrace=False)
            try:
                if served.get("/-/healthy")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{' '.join(command)} did not answer /-/healthy within 30 s:\n{served.log()}",
                            pytrace=False)
            time.sleep(0.2)
        yield served
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def wait_for(predicate, timeout, what, log=None):
    return wait_until(predicate, timeout, what=what, log=log)
