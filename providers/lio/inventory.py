"""One read of everything the ``lio`` provider manages, joined into storplan terms.

configfs says which storage objects exist, which LUNs and ACLs expose them; LVM and the pool
directories say where each one lives, how big, thin or thick, which LVs and files are
snapshots and what was cloned from what.  :func:`take_inventory` reads each source once and
joins them by device path; both ``observe()`` and the operations use the result, so an
operation's result is exactly what the next observation reports.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from storplan.providers.kit.lvm import (
    REPLICA_TAG,
    SNAPSHOT_TAG,
    LogicalVolume,
    LvmReport,
    read_report,
)

from .configfs import Acl, LioTree, Tpg, read_tree
from .dirpool import DirPool, ImageFile
from .options import LioOptions, PoolConfig

__all__ = ["Inventory", "StoredSnapshot", "StoredVolume", "take_inventory"]


@dataclass(frozen=True, slots=True)
class StoredVolume:
    """A LIO storage object and what backs it (``pool`` ``None``: not in a configured pool)."""

    name: str
    plugin: str
    path: str
    serial: str
    size: int
    block_size: int
    pool: PoolConfig | None
    thin: bool
    used: int
    replica: tuple[str, str] | None = None  # (kind, source volume name)
    lv: LogicalVolume | None = None


@dataclass(frozen=True, slots=True)
class StoredSnapshot:
    """A snapshot of a volume: an LV tagged with its name, or a file in the pool directory."""

    volume: str
    name: str
    path: str
    size: int
    used: int
    created: str
    lv: LogicalVolume | None = None


@dataclass(slots=True)
class Inventory:
    """The joined view; ``problems`` are things that could not be read or do not add up."""

    options: LioOptions
    tree: LioTree
    lvm: LvmReport | None
    volumes: dict[str, StoredVolume] = field(default_factory=dict)
    snapshots: dict[tuple[str, str], StoredSnapshot] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def tpg(self) -> Tpg | None:
        """storplan's TPG (tag 1 of the configured target), if it exists yet."""
        return self.tree.tpg(self.options.target)

    def lun_of(self, volume: str) -> int | None:
        """The TPG LUN exporting ``volume``."""
        tpg = self.tpg
        if tpg is None:
            return None
        return next((n for n, (_p, name) in sorted(tpg.luns.items()) if name == volume), None)

    def groups(self) -> dict[str, list[Acl]]:
        """Node ACLs by access-group name: the ACL's tag, or its initiator when untagged."""
        result: dict[str, list[Acl]] = {}
        for acl in self.tpg.acls if self.tpg else ():
            result.setdefault(acl.tag or acl.initiator, []).append(acl)
        return result


def take_inventory(options: LioOptions, *, storage: bool = True) -> Inventory:
    """Read configfs, LVM (when an LVM pool is configured) and the pool directories.

    ``storage=False`` reads configfs only (enough for hosts and mappings): volumes then carry
    their names, paths and serials but no pool, provisioning or snapshots.
    """
    tree = read_tree(options.configfs)
    needs_lvm = storage and (
        any(p.kind != "dir" for p in options.pools)
        or any(b.plugin == "iblock" for b in tree.backstores)
    )
    inventory = Inventory(options, tree, read_report() if needs_lvm else None)
    inventory.problems.extend(tree.problems)
    files = _dir_files(options) if storage else {}
    for backstore in tree.backstores:
        lv = inventory.lvm.by_path(backstore.path) if inventory.lvm else None
        image = (
            files.get(os.path.normpath(backstore.path)) if backstore.plugin == "fileio" else None
        )
        pool = _pool_of(options, backstore.path, lv) if storage else None
        if lv is not None:
            thin, used, replica = lv.is_thin, lv.used, _replica(lv.tag_value(REPLICA_TAG))
        elif image is not None:
            thin, used, replica = image.thin, image.used, _replica(image.replica)
        else:
            thin, used, replica = False, backstore.size, None
        inventory.volumes[backstore.name] = StoredVolume(
            backstore.name,
            backstore.plugin,
            backstore.path,
            backstore.serial,
            backstore.size,
            backstore.block_size,
            pool,
            thin,
            used,
            replica,
            lv,
        )
    if storage:
        _lvm_snapshots(inventory)
        _dir_snapshots(inventory)
    return inventory


def _replica(text: str | None) -> tuple[str, str] | None:
    kind, _, source = (text or "").partition(":")
    return (kind, source) if kind and source else None


def _pool_of(options: LioOptions, path: str, lv: LogicalVolume | None) -> PoolConfig | None:
    for pool in options.pools:
        if pool.kind == "dir" and os.path.dirname(os.path.normpath(path)) == pool.location:
            return pool
        if lv is None or lv.vg != pool.vg:
            continue
        if pool.kind == "lvm-thin" and lv.is_thin and lv.pool_lv == pool.thin_pool:
            return pool
        if pool.kind == "lvm" and not lv.is_thin:
            return pool
    return None


def _dir_files(options: LioOptions) -> dict[str, ImageFile]:
    return {
        image.path: image
        for pool in options.pools
        if pool.kind == "dir"
        for image in DirPool(pool.location).volumes()
    }


def _lvm_snapshots(inventory: Inventory) -> None:
    if inventory.lvm is None:
        return
    by_lv = {v.lv.path: v.name for v in inventory.volumes.values() if v.lv is not None}
    for lv in inventory.lvm.volumes.values():
        name = lv.tag_value(SNAPSHOT_TAG)
        if name is None:
            continue
        volume = by_lv.get(f"/dev/{lv.vg}/{lv.origin}")
        if volume is None:
            inventory.problems.append(
                f"LV {lv.vg}/{lv.name} is a storplan snapshot of {lv.origin!r}, which no "
                "LIO storage object exports"
            )
            continue
        inventory.snapshots[volume, name] = StoredSnapshot(
            volume, name, lv.path, lv.size, lv.used, lv.created, lv
        )


def _dir_snapshots(inventory: Inventory) -> None:
    for pool in inventory.options.pools:
        if pool.kind != "dir":
            continue
        for volume, images in DirPool(pool.location).snapshots().items():
            stored = inventory.volumes.get(volume)
            if stored is None or stored.pool != pool:
                continue
            for image in images:
                inventory.snapshots[volume, image.name] = StoredSnapshot(
                    volume, image.name, image.path, image.size, image.used, image.created
                )
