"""File systems as directories under the base directory (what FSAL_VFS exports).

A file system storplan created is a directory ``<base>/<name>`` carrying the extended
attribute ``user.storplan.size`` (its size in bytes, as requested and aligned).  The size is
*recorded, not enforced*: enforcing it needs project quotas (XFS ``prjquota``, or ext4 with the
``project`` feature), which this provider does not set; :func:`base_filesystem` reports what
the base directory lives on so each file system can say why its size is not a limit.
Directories under the base without the attribute are listed (an export may point at one) with
size 0, and storplan never deletes them.
"""

from __future__ import annotations

import errno
import os
import shutil
from dataclasses import dataclass

from storplan.errors import AlreadyExists, Busy, InvalidArgument, NotFound, PermissionDenied

__all__ = [
    "SIZE_XATTR",
    "BaseFilesystem",
    "Directory",
    "base_filesystem",
    "create_directory",
    "list_directories",
    "remove_directory",
]

SIZE_XATTR = "user.storplan.size"


@dataclass(frozen=True, slots=True)
class Directory:
    """One directory under the base; ``size`` is ``None`` when storplan did not create it."""

    name: str
    path: str
    size: int | None


@dataclass(frozen=True, slots=True)
class BaseFilesystem:
    """What the base directory lives on, and its capacity."""

    mount_point: str
    fs_type: str
    options: frozenset[str]
    total: int
    free: int

    @property
    def why_not_enforced(self) -> str:
        """Why a recorded size is not a limit here (one sentence for a condition)."""
        where = f"{self.fs_type} at {self.mount_point}"
        if self.fs_type == "xfs" and self.options & {"prjquota", "pquota", "pqnoenforce"}:
            return f"{where} has project quotas, but this provider does not set them yet"
        return f"{where} has no project quotas enabled"


def base_filesystem(base: str) -> BaseFilesystem:
    """The mounted file system holding ``base`` (from ``/proc/self/mountinfo``) and its space.

    Raises:
        NotFound: ``base`` does not exist.
    """
    try:
        vfs = os.statvfs(base)
    except FileNotFoundError:
        raise NotFound(
            f"the base directory {base} does not exist",
            hint=f"create it (mkdir -p {base}) on the NFS server",
        ) from None
    real = os.path.realpath(base)
    best = ("/", "unknown", frozenset[str]())
    try:
        with open("/proc/self/mountinfo", encoding="utf-8") as handle:
            for line in handle:
                left, _, right = line.partition(" - ")
                point = left.split()[4].replace("\\040", " ")
                fields = right.split()
                inside = real == point or real.startswith(point.rstrip("/") + "/")
                if inside and len(point) >= len(best[0]) and len(fields) >= 3:
                    options = set(left.split()[5].split(",")) | set(fields[2].split(","))
                    best = (point, fields[0], frozenset(options))
    except OSError:
        pass
    return BaseFilesystem(
        best[0], best[1], best[2], vfs.f_blocks * vfs.f_frsize, vfs.f_bavail * vfs.f_frsize
    )


def _recorded_size(path: str) -> int | None:
    try:
        return int(os.getxattr(path, SIZE_XATTR, follow_symlinks=False))
    except (OSError, ValueError):
        return None


def list_directories(base: str) -> list[Directory]:
    """Every directory directly under ``base`` (not following symlinks), sorted by name."""
    found: list[Directory] = []
    try:
        entries = list(os.scandir(base))
    except FileNotFoundError:
        return []
    for entry in entries:
        if entry.is_dir(follow_symlinks=False) and not entry.name.startswith("."):
            found.append(Directory(entry.name, entry.path, _recorded_size(entry.path)))
    return sorted(found, key=lambda d: d.name)


def create_directory(base: str, name: str, size: int) -> Directory:
    """Create ``<base>/<name>`` recording ``size``; idempotent for the same size.

    Raises:
        AlreadyExists: the directory exists with another size, or was not made by storplan.
        InvalidArgument: the base file system cannot hold user extended attributes.
    """
    path = os.path.join(base, name)
    try:
        os.mkdir(path, 0o755)
        created = True
    except FileExistsError:
        created = False
    if not created:
        if not os.path.isdir(path) or os.path.islink(path):
            raise AlreadyExists(f"{path} exists and is not a directory")
        recorded = _recorded_size(path)
        if recorded is None:
            raise AlreadyExists(
                f"directory {path} exists and was not created by storplan",
                hint="choose another file system name, or remove the directory by hand",
            )
        if recorded != size:
            raise AlreadyExists.conflict("file system", name, {"size": (recorded, size)})
        return Directory(name, path, recorded)
    try:
        os.setxattr(path, SIZE_XATTR, str(size).encode(), follow_symlinks=False)
    except OSError as exc:
        os.rmdir(path)
        if exc.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
            raise InvalidArgument(
                f"the file system of {base} does not support user extended attributes",
                hint="use a base directory on ext4, XFS or btrfs",
            ) from None
        raise PermissionDenied(f"cannot record the size of {path}: {exc.strerror}") from None
    return Directory(name, path, size)


def remove_directory(base: str, name: str, exported: bool) -> None:
    """Delete the file system ``name`` and everything in it.

    Raises:
        NotFound: no such directory.
        Busy: it is exported.
        InvalidArgument: storplan did not create it (it is never deleted).
    """
    path = os.path.join(base, name)
    if not os.path.isdir(path) or os.path.islink(path):
        raise NotFound(f"file system {name!r} ({path}) does not exist")
    if _recorded_size(path) is None:
        raise InvalidArgument(
            f"directory {path} was not created by storplan; storplan does not delete it",
            hint="remove it by hand if it should go",
        )
    if exported:
        raise Busy(f"file system {name!r} is exported", hint="delete its exports first")
    shutil.rmtree(path)  # the fd-based rmtree: symlinks inside are removed, never followed
