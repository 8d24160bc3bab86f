"""Directory pools: volumes as image files served by LIO's fileio backstore.

Layout inside the pool directory ``D``: volume ``v`` is ``D/v.img``; its snapshot ``s`` is
``D/.storplan-snapshots/v/s.img``.  Thin volumes are sparse files, thick ones are allocated
with ``posix_fallocate``.  Snapshots and clones are ``cp --reflink=auto`` copies (shared
extents on btrfs/XFS, full copies elsewhere); copies never share extents.  Whether a volume is
thin and what it was copied from are kept in user extended attributes of the file.
"""

from __future__ import annotations

import contextlib
import datetime
import os
from dataclasses import dataclass
from pathlib import Path

from storplan.errors import AlreadyExists, CapacityExceeded, NotFound, ProviderError
from storplan.providers.kit.commands import run

__all__ = ["DirPool", "ImageFile", "remove_image"]

SUFFIX = ".img"
SNAPSHOT_DIR = ".storplan-snapshots"
_THIN = "user.storplan.thin"
_REPLICA = "user.storplan.replica"


@dataclass(frozen=True, slots=True)
class ImageFile:
    """A volume or snapshot file: sizes in bytes, ``replica`` as ``kind:source`` or ``''``."""

    name: str
    path: str
    size: int
    used: int
    thin: bool
    replica: str
    created: str


def _xattr(path: str, key: str) -> str | None:
    try:
        return os.getxattr(path, key).decode()
    except OSError:
        return None


def _set_xattr(path: str, key: str, value: str | None) -> None:
    """Record a fact; file systems without user xattrs fall back to what can be inferred."""
    with contextlib.suppress(OSError):
        if value is None:
            os.removexattr(path, key)
        else:
            os.setxattr(path, key, value.encode())


def _image(path: str, name: str) -> ImageFile:
    stat = os.stat(path)
    used = stat.st_blocks * 512
    recorded = _xattr(path, _THIN)
    thin = recorded == "1" if recorded is not None else used < stat.st_size
    created = datetime.datetime.fromtimestamp(stat.st_mtime, datetime.UTC)
    return ImageFile(
        name,
        path,
        stat.st_size,
        used,
        thin,
        _xattr(path, _REPLICA) or "",
        created.isoformat(timespec="seconds"),
    )


class DirPool:
    """Image files in one directory."""

    def __init__(self, directory: str) -> None:
        self.directory = directory

    def path(self, volume: str) -> str:
        """The image file of ``volume``."""
        return os.path.join(self.directory, volume + SUFFIX)

    def snapshot_path(self, volume: str, snapshot: str) -> str:
        """The image file of ``volume``'s snapshot ``snapshot``."""
        return os.path.join(self.directory, SNAPSHOT_DIR, volume, snapshot + SUFFIX)

    def capacity(self) -> tuple[int, int]:
        """(total, free) bytes of the file system holding the directory."""
        st = os.statvfs(self.directory)
        return st.f_blocks * st.f_frsize, st.f_bavail * st.f_frsize

    def volumes(self) -> list[ImageFile]:
        """Every ``*.img`` file directly in the directory."""
        return self._images(Path(self.directory))

    def snapshots(self) -> dict[str, list[ImageFile]]:
        """Snapshot files by volume name."""
        root = Path(self.directory) / SNAPSHOT_DIR
        try:
            owners = sorted(p for p in root.iterdir() if p.is_dir())
        except OSError:
            return {}
        return {owner.name: self._images(owner) for owner in owners}

    @staticmethod
    def _images(directory: Path) -> list[ImageFile]:
        try:
            with os.scandir(directory) as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError:
            return []
        return [
            _image(e.path, e.name.removesuffix(SUFFIX))
            for e in entries
            if e.name.endswith(SUFFIX) and e.is_file(follow_symlinks=False)
        ]

    # ------------------------------------------------------------------ changes
    def create(self, volume: str, size: int, thin: bool) -> str:
        """Make the image file of a new volume; returns its path."""
        os.makedirs(self.directory, mode=0o700, exist_ok=True)
        path = self.path(volume)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise AlreadyExists(f"{path} already exists") from None
        try:
            _allocate(fd, size, thin)
        except BaseException:
            os.close(fd)
            os.unlink(path)
            raise
        os.close(fd)
        _set_xattr(path, _THIN, "1" if thin else "0")
        return path

    def grow(self, volume: str, size: int) -> None:
        """Grow a volume's file to ``size`` bytes, keeping it thin or thick."""
        image = _image(self.path(volume), volume)
        fd = os.open(image.path, os.O_WRONLY)
        try:
            _allocate(fd, size, image.thin)
        finally:
            os.close(fd)

    def copy(self, source: str, destination: str, *, share: bool, replica: str = "") -> None:
        """Copy an image (sparse; sharing extents with ``--reflink=auto`` if ``share``)."""
        os.makedirs(os.path.dirname(destination), mode=0o700, exist_ok=True)
        if os.path.exists(destination):
            raise AlreadyExists(f"{destination} already exists")
        thin = _image(source, "").thin
        reflink = "--reflink=auto" if share else "--reflink=never"
        try:
            run(["cp", reflink, "--sparse=always", "--", source, destination])
        except ProviderError:
            _remove_quietly(destination)
            raise
        _set_xattr(destination, _THIN, "1" if thin or share else "0")
        _set_xattr(destination, _REPLICA, replica or None)

    def mark_replica(self, volume: str, record: str | None) -> None:
        """Record (or with ``None`` forget) what ``volume`` was copied from."""
        _set_xattr(self.path(volume), _REPLICA, record)


def remove_image(path: str) -> None:
    """Delete an image file (and its snapshot directory once empty)."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        raise NotFound(f"{path} does not exist") from None
    parent = os.path.dirname(path)
    if os.path.basename(os.path.dirname(parent)) == SNAPSHOT_DIR:
        with contextlib.suppress(OSError):  # other snapshots remain
            os.rmdir(parent)


def _allocate(fd: int, size: int, thin: bool) -> None:
    try:
        if thin:
            os.ftruncate(fd, size)
        else:
            os.posix_fallocate(fd, 0, size)
    except OSError as exc:
        if exc.errno == 28:  # ENOSPC
            raise CapacityExceeded(f"not enough free space for {size} bytes") from None
        raise ProviderError(f"cannot allocate the image file: {exc.strerror}") from None


def _remove_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
