"""Diffing the file part of an array entry: file systems, their snapshots and NFS exports.

Exports are keyed by path and form a complete set per managed file system (like mappings and
initiators, they are access control: an export left out of the manifest is removed, which is a
disruptive change).  Snapshots are additive: unlisted ones are left alone unless pruned.
"""

from __future__ import annotations

from typing import Any

from ..manifest.spec import ArraySpec, ExportSpec, FileSystemSpec
from .actions import Change, Risk
from .builder import ArrayPlan
from .fields import field_changes

__all__ = ["diff_filesystems", "export_options"]


def export_options(export: ExportSpec) -> dict[str, Any]:
    """The canonical, JSON-ready options of an export spec (sets sorted)."""
    return {
        "clients": sorted(set(export.clients)),
        "access": export.access.value,
        "root_squash": export.root_squash,
        "anon_uid": export.anon_uid,
        "anon_gid": export.anon_gid,
        "security": sorted(set(export.security)),
    }


def _live_options(live: Any) -> dict[str, Any]:
    return {
        "clients": sorted(live.clients),
        "access": str(live.access),
        "root_squash": live.root_squash,
        "anon_uid": live.anon_uid,
        "anon_gid": live.anon_gid,
        "security": sorted(live.security),
    }


def diff_filesystems(plan: ArrayPlan, array: ArraySpec) -> None:
    for fs in array.filesystems:
        key = f"filesystem:{fs.name}"
        live = plan.view.filesystems.get(fs.name)
        size = plan.aligned(fs.size)
        if live is None:
            if any(old in plan.view.filesystems for old in fs.previous_names):
                plan.problem(
                    f"file system {fs.name!r} exists under a previous name, and file "
                    "systems cannot be renamed through the provider contract",
                    "rename it on the array, or use its current name",
                )
                continue
            plan.add(
                "create_filesystem",
                "filesystem",
                fs.name,
                "create",
                {"filesystem": fs.name, "pool": fs.pool, "size": int(size)},
                provides=(key,),
                after=(f"pool:{fs.pool}",),
                depends_on=(key,),
                changes=(Change("pool", None, fs.pool), Change("size", None, str(size))),
            )
        else:
            _update(plan, fs, live, size)
        for snapshot in fs.snapshots:
            if (fs.name, snapshot.name) not in plan.view.fs_snapshots:
                skey = f"fs_snapshot:{fs.name}/{snapshot.name}"
                plan.add(
                    "create_fs_snapshot",
                    "fs_snapshot",
                    f"{fs.name}/{snapshot.name}",
                    "create",
                    {"filesystem": fs.name, "snapshot": snapshot.name},
                    provides=(skey,),
                    after=(key,),
                    depends_on=(skey,),
                )
        _exports(plan, fs, live)


def _update(plan: ArrayPlan, fs: FileSystemSpec, live: Any, size: int) -> None:
    pool = plan.view.pool_names.get(live.pool_id, live.pool_id)
    if pool != fs.pool:
        plan.problem(
            f"file system {fs.name!r} is in pool {pool!r}, the manifest says {fs.pool!r}",
            "moving file systems is not supported",
        )
        return
    plan.resize(
        "filesystem",
        fs.name,
        fs.name,
        live.size,
        size,
        protect=fs.protect,
        allow_shrink=fs.allow_shrink,
    )


def _exports(plan: ArrayPlan, fs: FileSystemSpec, live_fs: Any) -> None:
    wanted = {e.path: e for e in fs.exports}
    if live_fs is not None:
        for path, existing in sorted(plan.view.exports.items()):
            if existing.filesystem_id == live_fs.id and path not in wanted:
                plan.add(
                    "delete_export",
                    "export",
                    path,
                    "delete",
                    {"path": path},
                    risk=Risk.DISRUPTIVE,
                    provides=(f"export:{path}",),
                    depends_on=(f"export:{path}",),
                    changes=(Change("path", path, None),),
                )
    for path, export in wanted.items():
        key = f"export:{path}"
        options = export_options(export)
        live = plan.view.exports.get(path)
        if live is None:
            plan.add(
                "create_export",
                "export",
                path,
                "create",
                {"filesystem": fs.name, "path": path, **options},
                provides=(key,),
                after=(f"filesystem:{fs.name}",),
                depends_on=(key,),
                changes=tuple(Change(k, None, v) for k, v in options.items()),
            )
            continue
        if live_fs is None or live.filesystem_id != live_fs.id:
            plan.problem(
                f"export path {path!r} already exports another file system", "choose another path"
            )
            continue
        have = _live_options(live)
        if have != options:
            plan.add(
                "modify_export",
                "export",
                path,
                "update",
                {"path": path, **options},
                risk=Risk.DISRUPTIVE,
                provides=(key,),
                depends_on=(key,),
                changes=field_changes(have, options),
            )
