"""File systems and their snapshots on LVM: what exists (tags) and changing it.

A file system is an LV (thin in an ``lvm-thin`` pool, thick in an ``lvm`` pool) tagged
``storplan-fs:<name>``, formatted with XFS (or ext4) and mounted at ``<base>/<name>``; a
snapshot is a thin snapshot LV tagged ``storplan-fssnap:<fs>/<snap>``, mounted read-only
(XFS with ``nouuid``: the snapshot carries its origin's UUID).  Every mount is also an entry
of storplan's fstab block, written before the mount, so a reboot brings back what storplan made.
"""

from __future__ import annotations

import os
from contextlib import suppress
from dataclasses import dataclass, replace

from storplan.errors import Busy, InvalidArgument, ProviderError, Unsupported
from storplan.providers.kit import lvm
from storplan.providers.kit.commands import run
from storplan.providers.kit.lvm import LogicalVolume, LvmReport
from storplan.providers.kit.pools import PoolConfig

from . import fstab
from .fstab import MountEntry
from .mounts import mount, mount_table, unmount
from .names import CLONE_TAG, FS_TAG, SNAPSHOT_TAG, filesystem_lv, snapshot_lv
from .options import NfsOptions

__all__ = ["Inventory", "StoredFs", "StoredSnapshot", "take_inventory"]


@dataclass(frozen=True, slots=True)
class StoredFs:
    """One storplan file system: its LV, the configured pool holding it (``None``: the LV
    is in no configured pool) and, for a clone, the (file system, snapshot) it came from."""

    name: str
    lv: LogicalVolume
    pool: PoolConfig | None
    clone_of: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class StoredSnapshot:
    """One storplan file-system snapshot and its LV."""

    filesystem: str
    name: str
    lv: LogicalVolume


@dataclass(frozen=True, slots=True)
class Inventory:
    """Every storplan file system and snapshot on the host (one ``vgs`` + one ``lvs``)."""

    report: LvmReport
    filesystems: dict[str, StoredFs]
    snapshots: dict[tuple[str, str], StoredSnapshot]


def _pool_of(options: NfsOptions, lv: LogicalVolume) -> PoolConfig | None:
    for pool in options.pools:
        if pool.vg != lv.vg:
            continue
        if pool.kind == "lvm-thin" and lv.is_thin and lv.pool_lv == pool.thin_pool:
            return pool
        if pool.kind == "lvm" and not lv.is_thin:
            return pool
    return None


def take_inventory(options: NfsOptions) -> Inventory:
    """Read LVM once and sort storplan's LVs into file systems and snapshots."""
    report = lvm.read_report()
    filesystems: dict[str, StoredFs] = {}
    snapshots: dict[tuple[str, str], StoredSnapshot] = {}
    for lv in report.volumes.values():
        name = lv.tag_value(FS_TAG)
        if name is not None:  # a file system, whatever else it may carry
            origin = (lv.tag_value(CLONE_TAG) or "").partition("/")
            clone_of = (origin[0], origin[2]) if origin[1] else None
            filesystems[name] = StoredFs(name, lv, _pool_of(options, lv), clone_of)
            continue
        owner = lv.tag_value(SNAPSHOT_TAG)
        if owner is not None and "/" in owner:
            fs, _, snap = owner.partition("/")
            snapshots[fs, snap] = StoredSnapshot(fs, snap, lv)
    return Inventory(report, filesystems, snapshots)


# ------------------------------------------------------------------------------ fstab
def fs_entry(options: NfsOptions, name: str, lv: LogicalVolume, fs_type: str) -> MountEntry:
    """The fstab entry of file system ``name``."""
    return MountEntry("fs", lv.path, options.mount_point(name), fs_type)


def persist(
    options: NfsOptions, add: tuple[MountEntry, ...] = (), drop: tuple[str, ...] = ()
) -> None:
    """Add entries to storplan's fstab block and drop those mounting on ``drop`` targets."""
    entries = [e for e in fstab.read_block(options.fstab) if e.target not in drop]
    entries = [e for e in entries if e.target not in {a.target for a in add}] + list(add)
    fstab.write_block(options.fstab, entries)


def fs_type_of(options: NfsOptions, target: str) -> str:
    """The file-system type mounted at ``target`` (else the configured type)."""
    mounted = mount_table().get(target)
    return mounted.fs_type if mounted is not None else options.fs_type


# ------------------------------------------------------------------------------ file systems
def make_filesystem(options: NfsOptions, pool: PoolConfig, name: str, size: int) -> None:
    """Create, format, record in fstab and mount file system ``name`` (all or nothing)."""
    lv_name = filesystem_lv(name)
    thin_pool = pool.thin_pool if pool.kind == "lvm-thin" else ""
    lvm.create(pool.vg, lv_name, size, thin_pool=thin_pool, tags=(f"{FS_TAG}{name}",))
    device = f"/dev/{pool.vg}/{lv_name}"
    entry = MountEntry("fs", device, options.mount_point(name), options.fs_type)
    try:
        if options.fs_type == "xfs":
            run(["mkfs.xfs", "-q", "-K", device], provider="nfs")
        else:
            run(["mkfs.ext4", "-q", "-E", "nodiscard", device], provider="nfs")
        persist(options, add=(entry,))
        mount(entry)
    except BaseException:
        persist(options, drop=(entry.target,))
        unmount(entry.target, f"file system {name!r}")
        lvm.remove(pool.vg, lv_name)
        raise


def grow(options: NfsOptions, stored: StoredFs, size: int) -> None:
    """Grow file system ``stored`` online to ``size`` bytes (LV first, then the file system).

    Raises:
        InvalidArgument: a smaller size (XFS cannot shrink; ext4 only unmounted).
        Busy: it is not mounted (the file system grows through its mount point).
    """
    lv = stored.lv
    target = options.mount_point(stored.name)
    fs_type = fs_type_of(options, target)
    if size < lv.size:
        raise InvalidArgument(
            f"file system {stored.name!r} cannot shrink from {lv.size} to {size} bytes: "
            + ("XFS cannot shrink" if fs_type == "xfs" else "ext4 shrinks only unmounted"),
            hint="keep its size, or copy the data to a new, smaller file system",
        )
    if size == lv.size:
        return
    if target not in mount_table():
        raise Busy(f"file system {stored.name!r} is not mounted at {target}",
                   hint=f"mount it (mount {target}) and resize again")  # fmt: skip
    lvm.extend(lv.vg, lv.name, size)
    if fs_type == "xfs":
        run(["xfs_growfs", target], provider="nfs")
    else:
        run(["resize2fs", lv.path], provider="nfs")


def remove_filesystem(options: NfsOptions, stored: StoredFs) -> None:
    """Unmount, forget and delete file system ``stored`` (callers check it is unused)."""
    target = options.mount_point(stored.name)
    unmount(target, f"file system {stored.name!r}")
    persist(options, drop=(target,))
    lvm.remove(stored.lv.vg, stored.lv.name)


# ------------------------------------------------------------------------------ snapshots
def snapshot_entry(options: NfsOptions, snapshot: StoredSnapshot, fs_type: str) -> MountEntry:
    """The fstab entry of a snapshot."""
    target = options.snapshot_point(snapshot.filesystem, snapshot.name)
    return MountEntry("snapshot", snapshot.lv.path, target, fs_type)


def make_snapshot(options: NfsOptions, stored: StoredFs, name: str) -> None:
    """A thin snapshot of file system ``stored``, mounted read-only.

    Raises:
        Unsupported: the file system is in a thick pool (only thin LVs have cheap snapshots).
    """
    if not stored.lv.is_thin:
        raise Unsupported(
            f"file system {stored.name!r} is in a thick pool: snapshots need an lvm-thin pool",
            hint="create file systems that need snapshots in an lvm-thin pool",
            provider="nfs",
            capability="filesystem.snapshots",
        )
    fs_type = fs_type_of(options, options.mount_point(stored.name))
    lv_name = snapshot_lv(stored.name, name)
    lvm.snapshot(
        stored.lv.vg, stored.lv.name, lv_name, active=True,
        tags=(f"{SNAPSHOT_TAG}{stored.name}/{name}",),
    )  # fmt: skip
    lv = LogicalVolume(stored.lv.vg, lv_name, stored.lv.size, "V", "", "", None, frozenset(), "")
    entry = snapshot_entry(options, StoredSnapshot(stored.name, name, lv), fs_type)
    try:
        persist(options, add=(entry,))
        mount(entry)
    except BaseException:
        persist(options, drop=(entry.target,))
        unmount(entry.target, f"snapshot {name!r}")
        lvm.remove(stored.lv.vg, lv_name)
        raise


def make_clone(options: NfsOptions, snapshot: StoredSnapshot, name: str, size: int) -> None:
    """File system ``name``: a writable thin snapshot of ``snapshot``, with a new file-system
    UUID (two XFS file systems of one UUID cannot both be mounted without ``nouuid``, and
    ``blkid``/``by-uuid`` would confuse them), recorded in fstab, mounted at ``<base>/<name>``
    and grown to ``size`` (all or nothing)."""
    vg, lv_name = snapshot.lv.vg, filesystem_lv(name)
    fs_type = fs_type_of(options, options.snapshot_point(snapshot.filesystem, snapshot.name))
    own = (f"{FS_TAG}{name}", f"{CLONE_TAG}{snapshot.filesystem}/{snapshot.name}")
    lvm.snapshot(vg, snapshot.lv.name, lv_name, active=True, tags=own)
    entry = MountEntry("fs", f"/dev/{vg}/{lv_name}", options.mount_point(name), fs_type)
    try:
        inherited = [t for t in lvm.read_report().volumes[vg, lv_name].tags if t not in own]
        lvm.retag(vg, lv_name, delete=inherited)  # an LVM snapshot copies its origin's tags
        _new_identity(entry)
        persist(options, add=(entry,))
        mount(entry)
        lv = replace(snapshot.lv, name=lv_name, tags=frozenset(own))
        grow(options, StoredFs(name, lv, None), size)
    except BaseException:
        persist(options, drop=(entry.target,))
        unmount(entry.target, f"file system {name!r}")
        lvm.remove(vg, lv_name)
        raise


def _new_identity(entry: MountEntry) -> None:
    """Give the unmounted clone at ``entry`` a UUID of its own.  The snapshot was taken of a
    mounted file system, so its log or journal is replayed first by one mount (XFS: with
    ``nouuid``, its origin is mounted) and unmount; ``tune2fs -U`` also wants a checked ext4."""
    nouuid = ["-o", "nouuid"] if entry.fs_type == "xfs" else []
    argv = ["mount", "-t", entry.fs_type, *nouuid]
    os.makedirs(entry.target, mode=0o755, exist_ok=True)
    run([*argv, entry.source, entry.target], provider="nfs")
    unmount(entry.target, f"clone at {entry.target}")
    if entry.fs_type == "xfs":
        run(["xfs_admin", "-U", "generate", entry.source], provider="nfs")
    else:
        run(["e2fsck", "-f", "-p", entry.source], provider="nfs")
        run(["tune2fs", "-U", "random", entry.source], provider="nfs")


def remove_snapshot(options: NfsOptions, snapshot: StoredSnapshot) -> None:
    """Unmount, forget and delete a snapshot."""
    target = options.snapshot_point(snapshot.filesystem, snapshot.name)
    unmount(target, f"snapshot {snapshot.name!r}")
    persist(options, drop=(target,))
    lvm.remove(snapshot.lv.vg, snapshot.lv.name)
    with suppress(OSError):  # other snapshots of the file system are still there
        os.rmdir(os.path.dirname(target))


def restore(options: NfsOptions, stored: StoredFs, snapshot: StoredSnapshot,
            others: list[StoredSnapshot]) -> None:  # fmt: skip
    """Roll file system ``stored`` back to ``snapshot``, keeping the snapshot: the file system's
    LV is replaced by a new thin snapshot of the snapshot.  Callers check it is not exported.

    The file system and its mounted snapshots (``others``, ``snapshot`` among them) are
    unmounted first (XFS refuses two mounted copies of one UUID unless ``nouuid``) and mounted
    again after.

    Raises:
        Busy: something on the server uses the file system or a snapshot.
    """
    target = options.mount_point(stored.name)
    fs_type = fs_type_of(options, target)
    snapshot_entries = [snapshot_entry(options, s, fs_type) for s in others]
    try:
        for entry in snapshot_entries:
            unmount(entry.target, f"snapshot {entry.target}")
        unmount(target, f"file system {stored.name!r}")
    except Busy:
        for entry in snapshot_entries:  # put back what was unmounted before the refusal
            mount(entry)
        raise
    vg, lv_name = stored.lv.vg, stored.lv.name
    old = f"{lv_name}+"  # no snapshot LV ends with '+': snapshot names are never empty
    lvm.rename(vg, lv_name, old)
    try:
        lvm.snapshot(vg, snapshot.lv.name, lv_name, active=True, tags=(f"{FS_TAG}{stored.name}",))
        copied = [
            t for t in lvm.read_report().volumes[vg, lv_name].tags if t.startswith(SNAPSHOT_TAG)
        ]
        lvm.retag(vg, lv_name, delete=copied)
    except ProviderError:
        lvm.rename(vg, old, lv_name)
        raise
    finally:
        entry = MountEntry("fs", f"/dev/{vg}/{lv_name}", target, fs_type)
        mount(entry)
        for snap in snapshot_entries:
            mount(snap)
    lvm.remove(vg, old)
