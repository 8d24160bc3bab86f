"""What the server has and exports, as the storplan model (read-only: observing never writes).

File systems and snapshots come from LVM (their tags) and the mount table; exports from the
kernel's export table (etab), the directory of each export mapped to the file system it shows
through the mount table.  storplan's exports file only supplies the spelling of what the
kernel serves exactly as written (client names as written, anonymous ids given explicitly):
where the file and the kernel disagree, the kernel wins, which is what makes a hand edit
(``exportfs -u``, ``exportfs -o``, a changed file) visible as drift.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from storplan.model.base import Condition
from storplan.model.enums import ElementType, Health, Kind, Provisioning
from storplan.model.nas import EXPORT_OPTION_FIELDS, ExportOptions
from storplan.providers.kit.pools import lvm_capacity
from storplan.size import Size

from . import ids
from .etab import DEFAULT_ANON, EtabEntry, options_from_entries, read_etab
from .exportsfile import Written, read_exports
from .mounts import Mount, mount_table
from .options import NfsOptions
from .resolve import served_key
from .storage import Inventory, take_inventory

if TYPE_CHECKING:
    from storplan.model.nas import NfsExport

__all__ = ["KINDS", "Exported", "exported", "observe_state", "read_written", "same_service"]

KINDS = frozenset({Kind.SYSTEMS, Kind.POOLS, Kind.FILESYSTEMS, Kind.FS_SNAPSHOTS, Kind.EXPORTS})


def read_written(options: NfsOptions) -> dict[str, Written]:
    """storplan's exports file, by directory (no file: no exports)."""
    try:
        with open(options.exports_file, encoding="utf-8") as handle:
            return read_exports(handle.read())
    except FileNotFoundError:
        return {}


def _normal(options: ExportOptions) -> tuple[object, ...]:
    clients = sorted((served_key(c.match), c.access, c.squash) for c in options.clients)
    anon = (options.anon_uid, options.anon_gid)
    return (
        clients,
        tuple(DEFAULT_ANON if a is None else a for a in anon),
        tuple(sorted(options.security)),
        options.sync,
    )


def same_service(written: ExportOptions, served: ExportOptions) -> bool:
    """Whether the kernel serves exactly what ``written`` asks for."""
    return _normal(written) == _normal(served)


class Exported:
    """One directory the kernel exports under ``export_root``: its export path, the file
    system it shows (``None``: none of storplan's), the options."""

    def __init__(self, path: str, directory: str, filesystem: str | None,
                 options: ExportOptions, written: bool) -> None:  # fmt: skip
        self.path = path
        self.directory = directory
        self.filesystem = filesystem
        self.options = options
        self.written = written


def _filesystem_at(options: NfsOptions, mounts: dict[str, Mount], directory: str,
                   names: Iterable[str]) -> str | None:  # fmt: skip
    shown = mounts.get(directory)
    if shown is None:
        return None
    for name in names:
        own = mounts.get(options.mount_point(name))
        if own is not None and own.device == shown.device and shown.root == own.root:
            return name
    return None


def exported(options: NfsOptions, filesystems: Iterable[str]) -> dict[str, Exported]:
    """Every export the kernel serves under ``export_root``, by export path."""
    by_directory: dict[str, list[EtabEntry]] = {}
    for entry in read_etab(options.etab):
        if options.export_path(entry.directory) is not None:
            by_directory.setdefault(entry.directory, []).append(entry)
    written = read_written(options)
    mounts = mount_table()
    names = sorted(filesystems)
    found: dict[str, Exported] = {}
    for directory, entries in sorted(by_directory.items()):
        path = options.export_path(directory) or directory
        served = options_from_entries(entries)
        mine = written.get(directory)
        same = mine is not None and same_service(mine.options, served)
        found[path] = Exported(
            path,
            directory,
            _filesystem_at(options, mounts, directory, names),
            mine.options if same and mine is not None else served,
            mine is not None,
        )
    return found


def export_model(exported_one: Exported) -> NfsExport:
    """The model of one export."""
    from storplan.model.nas import NfsExport

    return NfsExport(
        id=ids.EXPORT.encode(exported_one.path),
        filesystem_id=ids.FILESYSTEM.encode(exported_one.filesystem or "?"),
        path=exported_one.path,
        **{name: getattr(exported_one.options, name) for name in EXPORT_OPTION_FIELDS},
    )


def _used(path: str) -> int:
    try:
        vfs = os.statvfs(path)
    except OSError:
        return 0
    return (vfs.f_blocks - vfs.f_bfree) * vfs.f_frsize


def observe_state(options: NfsOptions, kinds: frozenset[Kind], release: str
                  ) -> dict[str, tuple[object, ...]]:  # fmt: skip
    """The fields of a :class:`~storplan.model.State` for ``kinds``."""
    from storplan.model.block import Pool
    from storplan.model.nas import FileSystem, FsSnapshot
    from storplan.model.system import System

    parts: dict[str, tuple[object, ...]] = {}
    if Kind.SYSTEMS in kinds:
        parts["systems"] = (
            System(ids.SYSTEM, "nfs", vendor="Linux", model="kernel NFS server",
                   firmware=release),
        )  # fmt: skip
    inventory: Inventory | None = None
    if kinds & {Kind.POOLS, Kind.FILESYSTEMS, Kind.FS_SNAPSHOTS, Kind.EXPORTS}:
        inventory = take_inventory(options)
    if Kind.POOLS in kinds and inventory is not None:
        pools = []
        for pool in options.pools:
            total, free, problems = lvm_capacity(inventory.report, pool)
            members = [f for f in inventory.filesystems.values() if f.pool == pool]
            thin = pool.kind == "lvm-thin"
            pools.append(
                Pool(ids.POOL.encode(pool.name), ids.SYSTEM, pool.name,
                     element_types=frozenset({ElementType.FILESYSTEM}), total=Size(total),
                     free=Size(free), subscribed=Size(sum(f.lv.size for f in members)),
                     oversubscription_limit=pool.oversubscription if thin else None,
                     health=Health.ERROR if problems else Health.OK,
                     conditions=tuple(Condition("pool.unavailable", p) for p in problems),
                     provisioning=frozenset({Provisioning.THIN if thin else Provisioning.THICK}))
            )  # fmt: skip
        parts["pools"] = tuple(pools)
    if Kind.FILESYSTEMS in kinds and inventory is not None:
        mounts = mount_table()
        systems = []
        for name, stored in sorted(inventory.filesystems.items()):
            target = options.mount_point(name)
            conditions: tuple[Condition, ...] = ()
            if target not in mounts:
                missing = f"{stored.lv.path} is not mounted at {target}"
                conditions = (Condition("filesystem.not_mounted", missing),)
            pool_id = ids.POOL.encode(stored.pool.name) if stored.pool else ids.POOL.encode("?")
            origin = stored.clone_of  # reported while that snapshot exists
            clone_of = ids.SNAPSHOT.encode(*origin) if origin in inventory.snapshots else None
            systems.append(
                FileSystem(ids.FILESYSTEM.encode(name), ids.SYSTEM, pool_id, name,
                           Size(stored.lv.size),
                           used=Size(_used(target) if target in mounts else 0),
                           health=Health.DEGRADED if conditions else Health.OK,
                           conditions=conditions, clone_of=clone_of)
            )  # fmt: skip
        parts["filesystems"] = tuple(systems)
    if Kind.FS_SNAPSHOTS in kinds and inventory is not None:
        parts["fs_snapshots"] = tuple(
            FsSnapshot(ids.SNAPSHOT.encode(fs, name), ids.FILESYSTEM.encode(fs), name,
                       created_at=snap.lv.created)
            for (fs, name), snap in sorted(inventory.snapshots.items())
        )  # fmt: skip
    if Kind.EXPORTS in kinds and inventory is not None:
        served = exported(options, inventory.filesystems)
        parts["exports"] = tuple(export_model(served[p]) for p in sorted(served))
    return parts
