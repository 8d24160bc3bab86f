"""File-system operations: directories under the base directory (see :mod:`.storage`)."""

from __future__ import annotations

import os
from typing import Any

from storplan.errors import NotFound
from storplan.model.enums import Kind
from storplan.model.job import Job
from storplan.size import Size

from . import ids
from .base import GaneshaBase
from .files import read_records
from .storage import create_directory, remove_directory

__all__ = ["SIZE_ALIGNMENT", "FileSystemOps"]

SIZE_ALIGNMENT = 1 << 20
"""Recorded sizes are rounded up to whole MiB, like the other providers' sizes."""


class FileSystemOps(GaneshaBase):
    """create/delete file systems."""

    def _check_pool(self, pool_id: str) -> None:
        if pool_id != ids.POOL.encode(self.options.pool):
            raise NotFound(
                f"pool {pool_id} does not exist",
                hint=f"the ganesha provider has one pool, {ids.POOL.encode(self.options.pool)}",
            )

    def create_filesystem(self, pool_id: str, name: str, size: int) -> Job[Any]:
        """A directory ``<base>/<name>`` with its size recorded; idempotent by name."""
        with self.operation("create_filesystem"):
            self._check_pool(pool_id)
            if not os.path.isdir(self.options.base):
                raise NotFound(
                    f"the base directory {self.options.base} does not exist",
                    hint=f"create it (mkdir -p {self.options.base}) on the NFS server",
                )
            aligned = int(Size(size).align_up(SIZE_ALIGNMENT))
            create_directory(self.options.base, name, aligned)
            return self.finish("create_filesystem", Kind.FILESYSTEMS, ids.FILESYSTEM.encode(name))

    def delete_filesystem(self, filesystem_id: str) -> Job[Any]:
        """Delete the directory and its contents; refused while it is exported."""
        with self.operation("delete_filesystem"):
            name = ids.FILESYSTEM.name(filesystem_id)
            if "/" in name or name in (".", ".."):
                raise NotFound(f"file system {filesystem_id} does not exist")
            path = os.path.join(self.options.base, name)
            exported = {os.path.normpath(d) for _, d in self.bus.show_exports()}
            exported |= {os.path.normpath(r.directory) for r in read_records(self.options).values()}
            busy = any(d == path or d.startswith(path + "/") for d in exported)
            remove_directory(self.options.base, name, busy)
            return self.finish("delete_filesystem", None, None)
