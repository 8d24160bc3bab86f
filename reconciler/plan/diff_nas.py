"""Diffing the NAS part of an array entry: file systems, their snapshots and NFS exports.

Exports are keyed by path and form a complete set per managed file system (like mappings and
initiators, they are access control: an export left out of the manifest is removed, which is a
disruptive change).  An export's options are compared as one :class:`ExportOptions` value;
the changed fields are shown one by one, and a change is disruptive when it takes access away
(the catalogue rates it).  Snapshots are additive: unlisted ones are left alone unless pruned.
A clone is a file system made from a snapshot (``clone_of``): created after that snapshot,
then managed like any file system; its size is managed only where the manifest gives one.
"""

from __future__ import annotations

from typing import Any

from ..keys import Key, ObjectKind
from ..manifest.requests import filesystem_request
from ..manifest.spec import ArraySpec, FileSystemSpec
from ..size import Size
from .actions import Change, Origin
from .builder import ArrayPlan
from .fields import field_changes

__all__ = ["diff_filesystems"]

K = ObjectKind


def diff_filesystems(plan: ArrayPlan, array: ArraySpec) -> None:
    for fs in array.filesystems:
        key = Key.of(K.FILESYSTEM, fs.name)
        live = plan.view.filesystems.get(fs.name)
        size = None if fs.size is None else plan.aligned(fs.size)
        if live is None:
            if any(old in plan.view.filesystems for old in fs.previous_names):
                plan.problem(
                    f"file system {fs.name!r} exists under a previous name, and file "
                    "systems cannot be renamed through the provider contract",
                    "rename it on the array, or use its current name",
                    Origin(fs).mark("previous_names"),
                )
                continue
            _create(plan, fs, size)
        elif _is_other_clone(plan, fs, live):
            continue
        else:
            _update(plan, fs, live, size)
        for snapshot in fs.snapshots:
            if (fs.name, snapshot.name) not in plan.view.fs_snapshots:
                skey = Key.of(K.FS_SNAPSHOT, fs.name, snapshot.name)
                plan.add(
                    "create_fs_snapshot",
                    {"filesystem": fs.name, "snapshot": snapshot.name},
                    provides=(skey,),
                    after=(key,),
                    depends_on=(skey,),
                    origin=Origin(snapshot, (("snapshot", "name"),)),
                )
        _exports(plan, fs, live)


def _create(plan: ArrayPlan, fs: FileSystemSpec, size: Size | None) -> None:
    """A new file system, or a clone of its source's snapshot (after the snapshot)."""
    key = Key.of(K.FILESYSTEM, fs.name)
    request = filesystem_request(fs, None if size is None else int(size))
    sized = () if size is None else (Change("size", None, str(size)),)
    if fs.clone_of is None:
        after: tuple[Key, ...] = (Key.of(K.POOL, fs.pool),)
        changes = (Change("pool", None, fs.pool), *sized)
    else:
        source, snapshot = fs.clone_of.filesystem, fs.clone_of.snapshot
        after = (Key.of(K.FILESYSTEM, source), Key.of(K.FS_SNAPSHOT, source, snapshot))
        changes = (Change("clone_of", None, f"{source}/{snapshot}"), *sized)
    plan.add(
        request.operation,
        request.params,
        provides=(key,),
        after=after,
        depends_on=(key,),
        changes=changes,
        origin=request.origin,
    )


def _is_other_clone(plan: ArrayPlan, fs: FileSystemSpec, live: Any) -> bool:
    """Report (and say True) when the file system exists as a clone of another snapshot
    than the manifest's.  A clone whose snapshot is gone stands alone and is accepted."""
    if fs.clone_of is None or live.clone_of is None:
        return False
    wanted = plan.view.fs_snapshots.get((fs.clone_of.filesystem, fs.clone_of.snapshot))
    if wanted is None or wanted.id == live.clone_of:
        return False
    plan.problem(
        f"file system {fs.name!r} exists, but as a clone of another snapshot than "
        f"{fs.clone_of.filesystem}/{fs.clone_of.snapshot}",
        "choose another name for the clone, or point clone_of at the snapshot it came from",
        Origin(fs.clone_of).mark("snapshot"),
        "filesystem.clone_conflict",
    )
    return True


def _update(plan: ArrayPlan, fs: FileSystemSpec, live: Any, size: int | None) -> None:
    pool = plan.view.pool_names.get(live.pool_id, live.pool_id)
    if pool != fs.pool:
        plan.problem(
            f"file system {fs.name!r} is in pool {pool!r}, the manifest says {fs.pool!r}",
            "moving file systems is not supported",
            Origin(fs).mark("pool"),
            "filesystem.move",
        )
        return
    if size is None:
        return  # a clone whose size the manifest leaves alone
    plan.resize(
        K.FILESYSTEM,
        fs.name,
        live,
        size,
        protect=fs.protect,
        allow_shrink=fs.allow_shrink,
        origin=Origin(fs),
    )


def _exports(plan: ArrayPlan, fs: FileSystemSpec, live_fs: Any) -> None:
    wanted = {e.path: e for e in fs.exports}
    if live_fs is not None:
        for path, existing in sorted(plan.view.exports.items()):
            if existing.filesystem_id == live_fs.id and path not in wanted:
                key = Key.of(K.EXPORT, path)
                plan.add(
                    "delete_export",
                    {"path": path},
                    provides=(key,),
                    depends_on=(key,),
                    changes=(Change("path", path, None),),
                    origin=Origin(fs),
                )
    for path, export in wanted.items():
        key = Key.of(K.EXPORT, path)
        options = export.options().to_dict()
        live = plan.view.exports.get(path)
        if live is None:
            plan.add(
                "create_export",
                {"filesystem": fs.name, "path": path, **options},
                provides=(key,),
                after=(Key.of(K.FILESYSTEM, fs.name),),
                depends_on=(key,),
                changes=tuple(Change(k, None, v) for k, v in options.items()),
                origin=Origin(export),
            )
            continue
        if live_fs is None or live.filesystem_id != live_fs.id:
            plan.problem(
                f"export path {path!r} already exports another file system",
                "choose another path",
                Origin(export).mark("path"),
                "export.conflict",
            )
            continue
        have = live.options().to_dict()
        if have != options:
            plan.add(
                "modify_export",
                {"path": path, **options},
                provides=(key,),
                depends_on=(key,),
                changes=field_changes(have, options),
                origin=Origin(export),
            )
