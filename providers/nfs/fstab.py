"""storplan's block of ``/etc/fstab``: the mounts that make its file systems survive a reboot.

storplan owns exactly the lines between its two marker lines and rewrites only them; every
other line of the file is kept byte for byte.  Entries are written in dependency order (file
systems, then their read-only snapshots, then the bind mounts exports are served from), with
``nofail`` so that one missing LV never stops a boot, and bind mounts name their source with
``x-systemd.requires-mounts-for`` so systemd mounts it first.  The file is replaced
atomically (temporary file, fsync, rename).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from storplan.errors import InvalidArgument
from storplan.files import write_private

__all__ = ["BEGIN", "END", "MountEntry", "read_block", "render", "write_block"]

BEGIN = "# BEGIN storplan nfs provider: these lines are rewritten by storplan, do not edit"
END = "# END storplan nfs provider"
_ORDER = {"fs": 0, "snapshot": 1, "bind": 2}


@dataclass(frozen=True, slots=True, order=True)
class MountEntry:
    """One fstab line of storplan's: ``role`` is ``fs``, ``snapshot`` or ``bind``."""

    role: str
    source: str
    target: str
    fs_type: str

    def line(self) -> str:
        """The fstab line."""
        for value in (self.source, self.target):
            if any(c.isspace() for c in value) or not value.startswith("/"):
                raise InvalidArgument(f"{value!r} cannot be written into fstab")
        if self.role == "bind":
            options = f"bind,nofail,x-systemd.requires-mounts-for={self.source}"
            return f"{self.source} {self.target} none {options} 0 0"
        options = "defaults,nofail"
        if self.role == "snapshot":
            options = "ro,nofail" + (",nouuid" if self.fs_type == "xfs" else "")
        return f"{self.source} {self.target} {self.fs_type} {options} 0 0"

    @property
    def options(self) -> list[str]:
        """The mount options of the line (``mount -o``), without fstab-only ones."""
        fields = self.line().split()[3].split(",")
        return [o for o in fields if o not in ("defaults", "nofail") and not o.startswith("x-")]


def _parse(line: str) -> MountEntry | None:
    fields = line.split()
    if len(fields) < 4:
        return None
    source, target, fs_type, options = fields[:4]
    if "bind" in options.split(","):
        return MountEntry("bind", source, target, "none")
    role = "snapshot" if "ro" in options.split(",") else "fs"
    return MountEntry(role, source, target, fs_type)


def _split(text: str) -> tuple[list[str], list[str], list[str]]:
    """(lines before, storplan's lines, lines after) of an fstab text."""
    lines = text.splitlines()
    if BEGIN not in lines:
        return lines, [], []
    start = lines.index(BEGIN)
    end = lines.index(END, start) if END in lines[start:] else len(lines) - 1
    return lines[:start], lines[start + 1 : end], lines[end + 1 :]


def read_block(path: str) -> list[MountEntry]:
    """storplan's entries of the fstab at ``path`` (none when it has no block)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return []
    _, mine, _ = _split(text)
    found = [_parse(line) for line in mine if line.strip() and not line.lstrip().startswith("#")]
    return [entry for entry in found if entry is not None]


def render(text: str, entries: Iterable[MountEntry]) -> str:
    """``text`` (an fstab) with storplan's block holding exactly ``entries`` (no block when
    there are none)."""
    before, _, after = _split(text)
    ordered = sorted(set(entries), key=lambda e: (_ORDER[e.role], e.target))
    block = [BEGIN, *(e.line() for e in ordered), END] if ordered else []
    lines = before + block + after
    return "\n".join(lines) + "\n" if lines else ""


def write_block(path: str, entries: Iterable[MountEntry]) -> None:
    """Rewrite storplan's block of the fstab at ``path`` atomically (mode and owner kept)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        text, mode = "", 0o644
    new = render(text, entries)
    if new == text:
        return
    write_private(path, new, mode=mode)
