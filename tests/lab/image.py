"""The lab's on-disk cache: the VM image (built by ``build-image.sh``) and the warm VM state.

Layout of the cache directory (``~/.cache/storplan-lab`` or ``$STORPLAN_LAB_CACHE``)::

    lock                 flock(2) file: exclusive while building or publishing, shared to read
    debs/                .deb files kept by debootstrap between image builds
    image-<key>/         root.img, vmlinuz, initrd.img, id_ed25519 (key: build script + wheels)
    warm-<key>/          root.qcow2, data.qcow2 holding the internal snapshot "booted"
    tmp-*/               work in progress; renamed into place when complete

Everything is built in a ``tmp-*`` directory and renamed, so a reader never sees half a build.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BUILD_SCRIPT = Path(__file__).with_name("build-image.sh")
EXTRA_REQUIREMENTS = ("pytest>=7.4",)
"""Installed into the guest venv beside storplan's runtime dependencies."""
GUEST_PYTHON = ("3.11", "cp311")
"""The Python of Debian 12 (bookworm): the wheels downloaded for the guest must fit it."""
WHEEL_PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")
IMAGE_FILES = ("root.img", "vmlinuz", "initrd.img", "id_ed25519")
WARM_FILES = ("root.qcow2", "data.qcow2")


class LabError(RuntimeError):
    """The lab could not be built, booted or reached."""


def tail(path: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of a text file ("" when it does not exist)."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def guest_requirements(repo: Path) -> list[str]:
    """storplan's runtime requirements (``[project].dependencies``) plus pytest."""
    with (repo / "pyproject.toml").open("rb") as f:
        project = tomllib.load(f)["project"]
    return sorted({*project.get("dependencies", []), *EXTRA_REQUIREMENTS})


def digest(*parts: bytes | str) -> str:
    """A short hex digest of ``parts`` (cache keys)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class LabImage:
    """A built image: a directory holding the files in ``IMAGE_FILES``."""

    directory: Path

    @property
    def key(self) -> str:
        """The cache key the image was built under."""
        return self.directory.name.removeprefix("image-")

    @property
    def root_img(self) -> Path:
        """The raw ext4 root file system (read-only backing file of every session)."""
        return self.directory / "root.img"

    @property
    def kernel(self) -> Path:
        """The guest kernel, booted with ``-kernel``."""
        return self.directory / "vmlinuz"

    @property
    def initrd(self) -> Path:
        """The guest initrd (virtio and ext4 modules)."""
        return self.directory / "initrd.img"

    @property
    def ssh_key(self) -> Path:
        """Private key accepted by the guest's root account."""
        return self.directory / "id_ed25519"


def _complete(directory: Path, names: Sequence[str]) -> bool:
    return all((directory / name).is_file() for name in names)


def _unmount_under(path: Path) -> None:
    """Lazily unmount anything mounted below ``path`` (left by a build that was killed)."""
    prefix = str(path.resolve()) + "/"
    with open("/proc/mounts") as mounts:
        points = [line.split()[1] for line in mounts if line.split()[1].startswith(prefix)]
    for point in sorted(points, reverse=True):
        subprocess.run(["umount", "-l", point], check=False)


def _remove_tree(path: Path) -> None:
    _unmount_under(path)
    shutil.rmtree(path, ignore_errors=True)


class LabCache:
    """The cache directory, its lock, the image and the warm states kept in it."""

    def __init__(self, root: Path | None = None) -> None:
        default = Path(os.environ.get("STORPLAN_LAB_CACHE", "~/.cache/storplan-lab"))
        self.root = (root or default).expanduser().resolve()

    @contextmanager
    def lock(self, *, exclusive: bool) -> Iterator[None]:
        """Hold the cache lock: exclusive to build or publish, shared to copy files out."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / "lock").open("a") as f:
            fcntl.flock(f, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def image_key(self, requirements: Sequence[str]) -> str:
        """Cache key of the image: the build script and the guest's Python requirements."""
        return digest(BUILD_SCRIPT.read_bytes(), *requirements)

    def image_dir(self, requirements: Sequence[str]) -> Path:
        """Where the image for ``requirements`` lives once built."""
        return self.root / f"image-{self.image_key(requirements)}"

    def image_ready(self, requirements: Sequence[str]) -> bool:
        """True when the image for ``requirements`` is already built."""
        return _complete(self.image_dir(requirements), IMAGE_FILES)

    def ensure_image(self, requirements: Sequence[str]) -> tuple[LabImage, float | None]:
        """The image for ``requirements``, built first if needed.

        Returns the image and the seconds spent building it (None when it was cached).
        """
        target = self.image_dir(requirements)
        if _complete(target, IMAGE_FILES):
            return LabImage(target), None
        with self.lock(exclusive=True):
            if _complete(target, IMAGE_FILES):  # built by a concurrent run meanwhile
                return LabImage(target), None
            self._remove_stale()
            started = time.monotonic()
            self._build(target, requirements)
            return LabImage(target), time.monotonic() - started

    def _remove_stale(self) -> None:
        """Drop unfinished work and images of other keys (caller holds the exclusive lock)."""
        for path in self.root.glob("tmp-*"):
            _remove_tree(path)
        for path in [*self.root.glob("image-*"), *self.root.glob("warm-*")]:
            _remove_tree(path)

    def _build(self, target: Path, requirements: Sequence[str]) -> None:
        work = Path(tempfile.mkdtemp(prefix="tmp-image-", dir=self.root))
        log = work / "build.log"
        try:
            _download_wheels(work / "wheels", requirements, log)
            command = [
                "sh",
                str(BUILD_SCRIPT),
                "--deb-cache",
                str(self.root / "debs"),
                "--wheels",
                str(work / "wheels"),
                str(work / "out"),
            ]
            _run_logged(command, log)
            shutil.copy(log, work / "out" / "build.log")
            (work / "out").rename(target)
        except (OSError, subprocess.CalledProcessError) as exc:
            shutil.copy(log, self.root / "last-build.log")
            raise LabError(
                f"building the lab image failed ({exc}); log: {self.root / 'last-build.log'}\n"
                + tail(log)
            ) from exc
        finally:
            _remove_tree(work)

    def warm_dir(self, fingerprint: str) -> Path:
        """Where the warm state for ``fingerprint`` lives."""
        return self.root / f"warm-{fingerprint}"

    def has_warm(self, fingerprint: str) -> bool:
        """True when a complete warm state for ``fingerprint`` is cached."""
        return _complete(self.warm_dir(fingerprint), WARM_FILES)

    def copy_warm(self, fingerprint: str, destination: Path) -> bool:
        """Copy the warm state's disks into ``destination``; False when there is none."""
        with self.lock(exclusive=False):
            source = self.warm_dir(fingerprint)
            if not _complete(source, WARM_FILES):
                return False
            for name in WARM_FILES:
                shutil.copyfile(source / name, destination / name)
            return True

    def publish_warm(self, fingerprint: str, source: Path) -> None:
        """Move the disks in ``source`` into the cache as the warm state (exclusive lock held)."""
        work = Path(tempfile.mkdtemp(prefix="tmp-warm-", dir=self.root))
        for name in WARM_FILES:
            shutil.move(source / name, work / name)
        _remove_tree(self.warm_dir(fingerprint))
        work.rename(self.warm_dir(fingerprint))

    def discard_warm(self, fingerprint: str) -> None:
        """Forget a warm state that failed to start."""
        with self.lock(exclusive=True):
            _remove_tree(self.warm_dir(fingerprint))


def _run_logged(command: Sequence[str], log: Path) -> None:
    """Run ``command`` with its output appended to ``log``; CalledProcessError on failure."""
    with log.open("a") as out:
        out.write(f"$ {' '.join(command)}\n")
        out.flush()
        subprocess.run(
            command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, check=True
        )


def _download_wheels(directory: Path, requirements: Sequence[str], log: Path) -> None:
    """Download wheels of ``requirements`` (and what they need) for the guest's Python."""
    version, abi = GUEST_PYTHON
    platforms = [arg for platform in WHEEL_PLATFORMS for arg in ("--platform", platform)]
    command = [
        _host_python(),
        "-m",
        "pip",
        "download",
        "--disable-pip-version-check",
        "-q",
        "--dest",
        str(directory),
        "--only-binary=:all:",
        *platforms,
        "--python-version",
        version,
        "--implementation",
        "cp",
        "--abi",
        abi,
        "--abi",
        "abi3",
        "--abi",
        "none",
        *requirements,
    ]
    directory.mkdir(parents=True)
    _run_logged(command, log)
    (directory / "requirements.txt").write_text("\n".join(requirements) + "\n")


def _host_python() -> str:
    return sys.executable


def _source_ignore(repo: Path) -> Callable[[str, list[str]], set[str]]:
    """``copytree`` filter: hidden entries, caches and egg-info anywhere; at the top, build
    outputs and what the wheel never holds (tests carry hostile fixtures such as symlink loops)."""
    top_level = {"build", "dist", "bench", "tests", "examples"}

    def ignore(directory: str, names: list[str]) -> set[str]:
        at_top = Path(directory) == repo
        return {
            name
            for name in names
            if name.startswith(".")
            or name == "__pycache__"
            or name.endswith(".egg-info")
            or (at_top and name in top_level)
        }

    return ignore


def build_storplan_wheel(repo: Path, destination: Path) -> Path:
    """Build storplan's own wheel (no dependencies) from the working tree at ``repo``.

    The tree is copied first so that a stale ``build/`` directory cannot leak removed modules
    into the wheel and the working tree is not written to. The build uses the host venv's
    setuptools (fast, offline); when that one is too old for pyproject.toml (a fresh venv of
    Python 3.11 brings setuptools 65), pip builds in an isolated environment instead.
    """
    repo = repo.resolve()
    source = destination / "src"
    shutil.copytree(repo, source, symlinks=True, ignore=_source_ignore(repo))
    try:
        for isolation in (["--no-build-isolation"], []):
            result = _pip_wheel(source, destination, isolation)
            if result.returncode == 0:
                break
    finally:
        shutil.rmtree(source)
    if result.returncode != 0:
        raise LabError(f"building storplan's wheel failed:\n{result.stdout}{result.stderr}")
    wheels = sorted(destination.glob("storplan-*.whl"))
    if len(wheels) != 1:
        raise LabError(f"expected one storplan wheel in {destination}, found {wheels}")
    return wheels[0]


def _pip_wheel(
    source: Path, destination: Path, options: Sequence[str]
) -> subprocess.CompletedProcess[str]:
    command = [
        _host_python(),
        "-m",
        "pip",
        "wheel",
        "--disable-pip-version-check",
        "-q",
        "--no-deps",
        *options,
        "-w",
        str(destination),
        str(source),
    ]
    return subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True)
