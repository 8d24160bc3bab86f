"""Ids of the ``nfs`` provider's objects: a kind prefix and the names behind it.

File systems and snapshots are known by their names (kept in LV tags) and exports by their
path, so ids are built from those and read back by stripping the prefix: no id table to keep.
"""

from __future__ import annotations

from storplan.providers.kit import IdCodec

__all__ = ["EXPORT", "FILESYSTEM", "POOL", "SNAPSHOT", "SYSTEM"]

SYSTEM = "nfs"
POOL = IdCodec("pool", "pool", example="thin")
FILESYSTEM = IdCodec("fs", "file system", example="home")
SNAPSHOT = IdCodec("fssnap", "file-system snapshot", parts=2, example="home/nightly")
EXPORT = IdCodec("export", "export", example="/projects")
