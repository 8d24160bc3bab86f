"""Mounts: what is mounted where (``/proc/self/mountinfo``), and mounting through ``mount``.

An export's directory is a bind mount of its file system; which file system it shows is read
from the kernel (the device number and root of each mount point), not from storplan's records,
so a bind mount changed by hand shows as it really is.
"""

from __future__ import annotations

import os
from contextlib import suppress
from dataclasses import dataclass

from storplan.errors import Busy, ProviderError
from storplan.providers.kit.commands import run

from .fstab import MountEntry

__all__ = ["Mount", "mount", "mount_table", "unmount"]


@dataclass(frozen=True, slots=True)
class Mount:
    """One mount point: its device (``major:minor``), the directory of that device it shows
    (``/`` for a whole file system), its source and type, read-only or not."""

    target: str
    device: str
    root: str
    source: str
    fs_type: str
    read_only: bool


def _unescape(text: str) -> str:
    return text.replace("\\040", " ").replace("\\011", "\t").replace("\\134", "\\")


def mount_table(path: str = "/proc/self/mountinfo") -> dict[str, Mount]:
    """Every mount point, by directory (the last mount on a directory wins, as in the kernel)."""
    table: dict[str, Mount] = {}
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return table
    for line in lines:
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) < 6 or len(tail) < 2:
            continue
        target = _unescape(fields[4])
        table[target] = Mount(
            target=target,
            device=fields[2],
            root=_unescape(fields[3]),
            source=_unescape(tail[1]),
            fs_type=tail[0],
            read_only="ro" in fields[5].split(","),
        )
    return table


def mount(entry: MountEntry) -> None:
    """Mount ``entry`` now (creating its directory); already mounted there: nothing to do."""
    os.makedirs(entry.target, mode=0o755, exist_ok=True)
    if entry.target in mount_table():
        return
    options = entry.options
    if entry.role == "bind":
        run(["mount", "--bind", entry.source, entry.target], provider="nfs")
    else:
        argv = ["mount", "-t", entry.fs_type]
        if options:
            argv += ["-o", ",".join(options)]
        run([*argv, entry.source, entry.target], provider="nfs")


def unmount(target: str, what: str) -> None:
    """Unmount ``target`` (not mounted: nothing to do) and remove the empty directory.

    Raises:
        Busy: something on the server still uses it (an open file, a process inside).
    """
    if target in mount_table():
        try:
            run(["umount", target], provider="nfs")
        except ProviderError as exc:
            raise Busy(
                f"{what} is in use on the server and cannot be unmounted: {exc.message}",
                hint=f"find the users with 'fuser -vm {target}' and stop them",
            ) from None
    with suppress(OSError):  # not there, or not empty (someone else's files: left alone)
        os.rmdir(target)
