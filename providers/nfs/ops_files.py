"""File-system and snapshot operations (LVM, mkfs, mounts: :mod:`.storage`)."""

from __future__ import annotations

from typing import Any

from storplan.errors import AlreadyExists, Busy, InvalidArgument, NotFound
from storplan.model.enums import Kind
from storplan.model.job import Job
from storplan.providers.kit.conflicts import require_same
from storplan.size import Size

from . import ids, storage
from .base import NfsBase
from .fstab import read_block
from .names import EXTENT, check_name, limits_for
from .observe import exported, read_written

__all__ = ["FileSystemOps"]


class FileSystemOps(NfsBase):
    """create/resize/delete file systems; create/delete/restore their snapshots; clone them."""

    def _exports_of(self, name: str) -> list[str]:
        """Export paths (served or written) that show file system ``name``."""
        mount_point = self.options.mount_point(name)
        served = [e.path for e in exported(self.options, [name]).values() if e.filesystem == name]
        binds = {e.target for e in read_block(self.options.fstab)
                 if e.role == "bind" and e.source == mount_point}  # fmt: skip
        written = [
            self.options.export_path(d) or d for d in read_written(self.options) if d in binds
        ]
        return sorted(set(served) | set(written))

    # ------------------------------------------------------------------ file systems
    def create_filesystem(self, pool_id: str, name: str, size: int) -> Job[Any]:
        """An LV with a file system, mounted at ``<base>/<name>``; idempotent by name."""
        check_name("file system", name)
        aligned = int(Size(size).align_up(EXTENT))
        limits_for(self.options.fs_type).check_volume_size(aligned)
        with self.operation("create_filesystem"):
            pool = self.pool_config(pool_id)
            existing = self.inventory().filesystems.get(name)
            if existing is not None:
                differences: dict[str, tuple[object, object]] = {}
                if existing.pool != pool:
                    differences["pool"] = (existing.pool.name if existing.pool else "?", pool.name)
                if existing.lv.size != aligned:
                    differences["size"] = (existing.lv.size, aligned)
                if differences:
                    raise AlreadyExists.conflict("file system", name, differences)
            else:
                storage.make_filesystem(self.options, pool, name, aligned)
            return self.finish("create_filesystem", Kind.FILESYSTEMS, ids.FILESYSTEM.encode(name))

    def resize_filesystem(self, filesystem_id: str, size: int) -> Job[Any]:
        """Grow online (``lvextend``, then ``xfs_growfs``/``resize2fs``); shrinking is refused."""
        aligned = int(Size(size).align_up(EXTENT))
        with self.operation("resize_filesystem"):
            stored = self.filesystem(self.inventory(), filesystem_id)
            storage.grow(self.options, stored, aligned)
            return self.finish("resize_filesystem", Kind.FILESYSTEMS, filesystem_id)

    def delete_filesystem(self, filesystem_id: str) -> Job[Any]:
        """Unmount and delete; refused while it is exported or has snapshots."""
        with self.operation("delete_filesystem"):
            inventory = self.inventory()
            stored = self.filesystem(inventory, filesystem_id)
            snapshots = sorted(s for f, s in inventory.snapshots if f == stored.name)
            if snapshots:
                raise Busy(f"file system {stored.name!r} has snapshots: {', '.join(snapshots)}",
                           hint="delete its snapshots first")  # fmt: skip
            exports = self._exports_of(stored.name)
            if exports:
                raise Busy(f"file system {stored.name!r} is exported as {', '.join(exports)}",
                           hint="delete its exports first")  # fmt: skip
            storage.remove_filesystem(self.options, stored)
            return self.finish("delete_filesystem", None, None)

    # ------------------------------------------------------------------ snapshots
    def create_fs_snapshot(self, filesystem_id: str, name: str) -> Job[Any]:
        """A thin snapshot, mounted read-only under ``<base>/.snapshots/``; idempotent."""
        check_name("snapshot", name)
        with self.operation("create_fs_snapshot"):
            inventory = self.inventory()
            stored = self.filesystem(inventory, filesystem_id)
            if (stored.name, name) not in inventory.snapshots:
                storage.make_snapshot(self.options, stored, name)
            snapshot_id = ids.SNAPSHOT.encode(stored.name, name)
            return self.finish("create_fs_snapshot", Kind.FS_SNAPSHOTS, snapshot_id)

    def _snapshot(self, inventory: storage.Inventory, snapshot_id: str) -> storage.StoredSnapshot:
        filesystem, name = ids.SNAPSHOT.decode(snapshot_id)
        snapshot = inventory.snapshots.get((filesystem, name))
        if snapshot is None:
            raise NotFound(f"file-system snapshot {snapshot_id} does not exist")
        return snapshot

    def create_fs_clone(self, fs_snapshot_id: str, name: str, size: int | None) -> Job[Any]:
        """A writable file system from a snapshot, at least the snapshot's size, mounted at
        ``<base>/<name>``; idempotent by name (the same snapshot, and size if given)."""
        check_name("file system", name)
        with self.operation("create_fs_clone"):
            inventory = self.inventory()
            snapshot = self._snapshot(inventory, fs_snapshot_id)
            least = snapshot.lv.size
            wanted = least if size is None else int(Size(size).align_up(EXTENT))
            if wanted < least:
                raise InvalidArgument(
                    f"a clone cannot be smaller than its snapshot ({Size(least)})",
                    hint="leave the size out, or give at least the snapshot's size",
                )
            limits_for(self.options.fs_type).check_volume_size(wanted)
            existing = inventory.filesystems.get(name)
            if existing is None:
                storage.make_clone(self.options, snapshot, name, wanted)
            else:
                have: dict[str, object] = {"clone_of": "/".join(existing.clone_of or ("-",))}
                want: dict[str, object] = {"clone_of": f"{snapshot.filesystem}/{snapshot.name}"}
                if size is not None:
                    have["size"], want["size"] = existing.lv.size, wanted
                require_same("file system", name, have, want)
            return self.finish("create_fs_clone", Kind.FILESYSTEMS, ids.FILESYSTEM.encode(name))

    def delete_fs_snapshot(self, fs_snapshot_id: str) -> Job[Any]:
        """Unmount and delete a snapshot."""
        with self.operation("delete_fs_snapshot"):
            snapshot = self._snapshot(self.inventory(), fs_snapshot_id)
            storage.remove_snapshot(self.options, snapshot)
            return self.finish("delete_fs_snapshot", None, None)

    def restore_fs_snapshot(self, fs_snapshot_id: str) -> Job[Any]:
        """Roll the file system back (the snapshot stays); refused while it is exported or
        in use on the server."""
        with self.operation("restore_fs_snapshot"):
            inventory = self.inventory()
            snapshot = self._snapshot(inventory, fs_snapshot_id)
            stored = inventory.filesystems.get(snapshot.filesystem)
            if stored is None:
                raise NotFound(f"the file system of snapshot {fs_snapshot_id} does not exist")
            exports = self._exports_of(stored.name)
            if exports:
                raise Busy(
                    f"file system {stored.name!r} is exported as {', '.join(exports)}: "
                    "restoring it under its clients would corrupt their view",
                    hint="delete its exports, restore, then export it again",
                )
            others = [s for (f, _), s in sorted(inventory.snapshots.items()) if f == stored.name]
            storage.restore(self.options, stored, snapshot, others)
            filesystem_id = ids.FILESYSTEM.encode(stored.name)
            return self.finish("restore_fs_snapshot", Kind.FILESYSTEMS, filesystem_id)
