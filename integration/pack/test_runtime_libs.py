"""The container's runtime stage can run the binary scripts/build.sh produces.

No Docker engine runs here, so the image itself is not built; instead this checks, with ldd on the release binary,
that every shared library it needs is either in debian:bookworm-slim already or installed by the Dockerfile's
runtime stage (its packages and what they depend on).
"""
import os
import re
import subprocess

from packpaths import REPO_ROOT

# Packages every debian:bookworm-slim image has (priority required, and what apt itself needs).
BASE_IMAGE_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g", "libzstd1", "liblzma5", "libbz2-1.0",
                       "libselinux1", "libpcre2-8-0", "libacl1", "libattr1", "libcrypt1", "libgmp10", "libsystemd0",
                       "libudev1", "libcap2", "libgcrypt20", "libgpg-error0", "liblz4-1", "libseccomp2", "libtinfo6",
                       "libaudit1", "libcap-ng0", "libpam0g", "libdb5.3", "libsemanage2", "libsepol2", "libxxhash0"}


def release_binary():
    path = os.environ.get("RELEASE_BIN")
    assert path, "set RELEASE_BIN to the binary scripts/build.sh printed"
    assert os.access(path, os.X_OK), path
    return path


def runtime_packages():
    text = (REPO_ROOT / "Dockerfile").read_text()
    runtime = text[text.rindex("FROM "):]
    install = re.search(r"apt-get install -y --no-install-recommends ([^\n\\&]+)", runtime)
    assert install, "the runtime stage installs its packages with apt-get install"
    return install.group(1).split()


def closure(packages):
    out = subprocess.run(["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts",
                          "--no-breaks", "--no-replaces", "--no-enhances", *packages], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    names = set(packages)
    for line in out.stdout.splitlines():
        line = line.strip()
        if line.startswith("Depends:") or line.startswith("PreDepends:"):
            names.add(line.split(":", 1)[1].strip().strip("<>").split(":")[0])
        elif line and not line.startswith(("|", "Depends", "PreDepends")) and ":" not in line:
            names.add(line.split(":")[0])
    return names


def owning_package(library_path):
    real = os.path.realpath(library_path)
    for candidate in (library_path, real, real.replace("/usr/lib/", "/lib/"), real.replace("/lib/", "/usr/lib/", 1)):
        out = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if out.returncode == 0:
            return out.stdout.split(":")[0].strip()
    return None


def test_runtime_stage_provides_every_shared_library():
    binary = release_binary()
    ldd = subprocess.run(["ldd", binary], capture_output=True, text=True)
    assert ldd.returncode == 0, ldd.stderr
    assert "not found" not in ldd.stdout, ldd.stdout
    # The Swift runtime is linked statically: nothing may come from the toolchain.
    assert "/opt/swift" not in ldd.stdout and "libswiftCore" not in ldd.stdout, ldd.stdout
    available = BASE_IMAGE_PACKAGES | closure(runtime_packages())
    assert {"libsqlite3-0", "libyaml-0-2", "ca-certificates"} <= available
    for line in ldd.stdout.splitlines():
        match = re.search(r"=> (/\S+)", line)
        if not match:
            continue
        package = owning_package(match.group(1))
        assert package, f"no package owns {match.group(1)}"
        assert package in available, f"{match.group(1)} comes from {package}, which the runtime image lacks"
