"""Volumes, snapshots and replicas of the ``lio`` provider.

A volume is backing storage (an LV or an image file) exported as a LIO storage object with a
TPG LUN.  Creation rolls back the backing storage when the export fails, so a failed operation
leaves nothing behind.
"""

from __future__ import annotations

import uuid
from typing import Any

from storplan.errors import (
    AlreadyExists,
    Busy,
    CapacityExceeded,
    InvalidArgument,
    NotFound,
    Unsupported,
)
from storplan.model.enums import Kind, ReplicaKind
from storplan.model.job import Job
from storplan.providers.kit import lvm
from storplan.providers.kit.commands import run
from storplan.size import Size

from . import ids
from .base import LioBase
from .dirpool import DirPool, remove_image
from .inventory import Inventory, StoredSnapshot, StoredVolume
from .names import LIMITS, check_object_name, snapshot_lv_name
from .observe import pool_model
from .options import PoolConfig

__all__ = ["VolumeOps"]


class VolumeOps(LioBase):
    """Volume, snapshot and replica operations."""

    # ------------------------------------------------------------------ volumes
    def create_volume(self, pool_id: str, name: str, size: int, thin: bool) -> Job[Any]:
        """Create backing storage in the pool and export it as a LUN; idempotent by name."""
        check_object_name("volume", name)
        size = int(LIMITS.align(size))
        with self.operation("create_volume"):
            pool = self.pool_config(pool_id)
            inventory = self.inventory()
            existing = inventory.volumes.get(name)
            if existing is not None:
                have = {
                    "pool": existing.pool.name if existing.pool else existing.path,
                    "size": existing.size,
                    "thin": existing.thin,
                }
                want = {"pool": pool.name, "size": size, "thin": thin}
                differ = {k: (have[k], want[k]) for k in want if have[k] != want[k]}
                if differ:
                    raise AlreadyExists.conflict("volume", name, differ)
            else:
                _check_provisioning(pool, thin)
                _check_room(inventory, pool, size, thin)
                plugin, path = self._make_backing(pool, name, size, thin, ())
                self._export_or_drop(pool, name, plugin, path, size)
            return self._finish("create_volume", Kind.VOLUMES, ids.volume(name))

    def delete_volume(self, volume_id: str) -> Job[Any]:
        """Remove the LUN, the storage object and the backing storage."""
        with self.operation("delete_volume"):
            inventory = self.inventory()
            stored = self.stored_volume(inventory, volume_id)
            pool = self.managed(stored)
            _refuse_busy(inventory, stored)
            self.target.unexport(stored.name, stored.plugin)
            self._drop_backing(pool, stored.name, stored.path)
            return self._finish("delete_volume", None, None)

    def resize_volume(self, volume_id: str, size: int) -> Job[Any]:
        """Grow a volume: online on LVM; on a directory pool the LUN is re-created with the
        same serial, LUN number and mappings (initiators see a brief LUN reset)."""
        size = int(LIMITS.align(size))
        with self.operation("resize_volume"):
            inventory = self.inventory()
            stored = self.stored_volume(inventory, volume_id)
            pool = self.managed(stored)
            if size < stored.size:
                raise Unsupported(
                    f"volume {stored.name!r} cannot shrink on LIO ({stored.size} -> {size})",
                    provider=self.name,
                    capability="volume.shrink",
                )
            if size > stored.size:
                _check_room(inventory, pool, size - stored.size, stored.thin)
                if pool.kind == "dir":
                    self._regrow_file(inventory, pool, stored, size)
                else:
                    lvm.extend(pool.vg, stored.name, size)
            return self._finish("resize_volume", Kind.VOLUMES, volume_id)

    # ------------------------------------------------------------------ snapshots
    def create_snapshot(self, volume_id: str, name: str) -> Job[Any]:
        """A point-in-time copy: LVM (thin or full-size COW) snapshot, or a file copy."""
        check_object_name("snapshot", name)
        with self.operation("create_snapshot"):
            inventory = self.inventory()
            stored = self.stored_volume(inventory, volume_id)
            pool = self.managed(stored)
            if (stored.name, name) not in inventory.snapshots:
                tags = (f"{lvm.SNAPSHOT_TAG}{name}",)
                if pool.kind == "dir":
                    dirs = DirPool(pool.location)
                    dirs.copy(stored.path, dirs.snapshot_path(stored.name, name), share=True)
                else:
                    cow = 0 if stored.thin else stored.size
                    lv = snapshot_lv_name(stored.name, name)
                    lvm.snapshot(pool.vg, stored.name, lv, cow_size=cow, active=False, tags=tags)
            return self._finish("create_snapshot", Kind.SNAPSHOTS, ids.snapshot(stored.name, name))

    def delete_snapshot(self, snapshot_id: str) -> Job[Any]:
        """Remove a snapshot's LV or file."""
        with self.operation("delete_snapshot"):
            snapshot = _stored_snapshot(self.inventory(), snapshot_id)
            if snapshot.lv is not None:
                lvm.remove(snapshot.lv.vg, snapshot.lv.name)
            else:
                remove_image(snapshot.path)
            return self._finish("delete_snapshot", None, None)

    # ------------------------------------------------------------------ replicas
    def create_replica(
        self, source_volume_id: str, name: str, kind: ReplicaKind, pool_id: str | None
    ) -> Job[Any]:
        """A clone (shares blocks where the pool can: thin snapshot, reflink) or a full copy."""
        check_object_name("volume", name)
        if kind not in (ReplicaKind.CLONE, ReplicaKind.COPY):
            raise Unsupported(
                f"LIO has no {kind.value} replicas",
                provider=self.name,
                capability=f"replica.{kind.value}",
            )
        with self.operation("create_replica"):
            inventory = self.inventory()
            source = self.stored_volume(inventory, source_volume_id)
            source_pool = self.managed(source)
            pool = self.pool_config(pool_id) if pool_id else source_pool
            record = f"{kind.value}:{source.name}"
            existing = inventory.volumes.get(name)
            if existing is not None:
                if existing.replica != (kind.value, source.name):
                    have = ":".join(existing.replica) if existing.replica else "a plain volume"
                    raise AlreadyExists.conflict("volume", name, {"replica of": (have, record)})
            else:
                self._replicate(inventory, source, pool, name, kind, record)
            return self._finish("create_replica", Kind.REPLICAS, ids.replica(name))

    def delete_replica(self, replica_id: str) -> Job[Any]:
        """Forget the relationship; the replica stays as an independent volume."""
        with self.operation("delete_replica"):
            inventory = self.inventory()
            stored = self.stored_volume(inventory, ids.volume(ids.name_of(replica_id)))
            if stored.replica is None:
                raise NotFound(f"replica {replica_id} does not exist")
            if stored.lv is not None:
                tag = f"{lvm.REPLICA_TAG}{':'.join(stored.replica)}"
                lvm.retag(stored.lv.vg, stored.lv.name, delete=(tag,))
            else:
                pool = self.managed(stored)
                DirPool(pool.location).mark_replica(stored.name, None)
            return self._finish("delete_replica", None, None)

    # ------------------------------------------------------------------ building blocks
    def _make_backing(
        self, pool: PoolConfig, name: str, size: int, thin: bool, tags: tuple[str, ...]
    ) -> tuple[str, str]:
        """Create an LV or image file; returns (LIO plugin, device or file path)."""
        if pool.kind == "dir":
            return "fileio", DirPool(pool.location).create(name, size, thin)
        lvm.create(pool.vg, name, size, thin_pool=pool.thin_pool, tags=tags)
        return "iblock", f"/dev/{pool.vg}/{name}"

    def _drop_backing(self, pool: PoolConfig, name: str, path: str) -> None:
        if pool.kind == "dir":
            remove_image(path)
        else:
            lvm.remove(pool.vg, name)

    def _export_or_drop(
        self, pool: PoolConfig, name: str, plugin: str, path: str, size: int
    ) -> None:
        """Export new backing storage; if LIO refuses, remove the backing storage again."""
        try:
            self.target.export(name, plugin, path, size, str(uuid.uuid4()))
        except BaseException:
            self._drop_backing(pool, name, path)
            raise

    def _replicate(
        self,
        inventory: Inventory,
        source: StoredVolume,
        pool: PoolConfig,
        name: str,
        kind: ReplicaKind,
        record: str,
    ) -> None:
        tag = (f"{lvm.REPLICA_TAG}{record}",)
        share = kind is ReplicaKind.CLONE and pool == source.pool
        if share and pool.kind == "lvm-thin":
            lvm.snapshot(pool.vg, source.name, name, active=True, tags=tag)
            plugin, path = "iblock", f"/dev/{pool.vg}/{name}"
        elif share and pool.kind == "dir":
            dirs = DirPool(pool.location)
            path = dirs.path(name)
            dirs.copy(source.path, path, share=True, replica=record)
            plugin = "fileio"
        else:
            thin = source.thin if pool.kind == "dir" else pool.kind == "lvm-thin"
            _check_room(inventory, pool, source.size, thin)
            plugin, path = self._make_backing(pool, name, source.size, thin, tag)
            try:
                _copy_blocks(source.path, path)
                if pool.kind == "dir":
                    DirPool(pool.location).mark_replica(name, record)
            except BaseException:
                self._drop_backing(pool, name, path)
                raise
        self._export_or_drop(pool, name, plugin, path, source.size)

    def _regrow_file(
        self, inventory: Inventory, pool: PoolConfig, stored: StoredVolume, size: int
    ) -> None:
        """fileio sizes are fixed while a backstore exists: re-create it around the grown
        file with the same serial, TPG LUN and mapped LUNs."""
        lun = inventory.lun_of(stored.name)
        tpg = inventory.tpg
        mapped = [
            (acl.initiator, mlun)
            for acl in (tpg.acls if tpg else ())
            for mlun, tpg_lun in acl.mapped.items()
            if tpg_lun == lun
        ]
        self.target.unexport(stored.name, stored.plugin)
        DirPool(pool.location).grow(stored.name, size)
        self.target.export(stored.name, "fileio", stored.path, size, stored.serial, lun)
        if lun is not None:
            for initiator, mlun in mapped:
                self.target.map_initiator(initiator, lun, mlun)


def _check_provisioning(pool: PoolConfig, thin: bool) -> None:
    if (pool.kind == "lvm-thin" and not thin) or (pool.kind == "lvm" and thin):
        wanted = "thin" if thin else "thick"
        raise InvalidArgument(
            f"pool {pool.name!r} ({pool.kind}) cannot hold {wanted} volumes",
            hint="lvm-thin pools hold thin volumes, lvm pools thick ones, dir pools both",
        )


def _check_room(inventory: Inventory, pool: PoolConfig, size: int, thin: bool) -> None:
    """Refuse what the pool cannot hold: thick bytes beyond its free space, thin promises
    beyond its over-subscription limit (LVM would accept those, then run out of space later)."""
    live = pool_model(inventory, pool)
    if not thin and size > live.free:
        raise CapacityExceeded(
            f"pool {pool.name!r} has {live.free.human()} free, {Size(size).human()} needed",
            hint="use a thin volume, a smaller size or another pool",
        )
    limit = live.oversubscription_limit
    if thin and limit is not None and live.subscribed + size > live.total * limit:
        raise CapacityExceeded(
            f"pool {pool.name!r} would promise {Size(live.subscribed + size).human()}, over "
            f"its limit of {limit:g} x {live.total.human()}",
            hint="use a smaller size or another pool, or raise the pool's oversubscription",
        )


def _refuse_busy(inventory: Inventory, stored: StoredVolume) -> None:
    lun = inventory.lun_of(stored.name)
    tpg = inventory.tpg
    hosts = sorted(
        {
            acl.tag or acl.initiator
            for acl in (tpg.acls if tpg else ())
            if lun in acl.mapped.values()
        }
    )
    if lun is not None and hosts:
        raise Busy(f"volume {stored.name!r} is mapped to {', '.join(hosts)}", hint="unmap it first")
    snapshots = [s for (v, s) in inventory.snapshots if v == stored.name]
    if snapshots:
        raise Busy(
            f"volume {stored.name!r} has snapshot(s) {', '.join(snapshots)}",
            hint="delete its snapshots first",
        )
    related = [
        v.name
        for v in inventory.volumes.values()
        if v.replica is not None and v.replica[1] == stored.name
    ]
    if related or stored.replica is not None:
        raise Busy(
            f"volume {stored.name!r} is part of a replica relationship",
            hint="delete the replica relationship first",
        )


def _stored_snapshot(inventory: Inventory, snapshot_id: str) -> StoredSnapshot:
    volume, name = ids.snapshot_names(snapshot_id)
    found = inventory.snapshots.get((volume, name))
    if found is None:
        raise NotFound(f"snapshot {name!r} of volume {volume!r} does not exist")
    return found


def _copy_blocks(source: str, destination: str) -> None:
    """Copy a volume's data, leaving zero blocks unwritten (thin targets stay thin)."""
    run(
        [
            "dd",
            f"if={source}",
            f"of={destination}",
            "bs=4M",
            "conv=sparse,notrunc,fsync",
            "status=none",
        ],
        timeout=24 * 3600,
    )
