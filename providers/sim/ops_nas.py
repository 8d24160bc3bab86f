"""Simulated NAS: file systems, their snapshots and NFS exports."""

from __future__ import annotations

import json
from typing import Any

from storplan.errors import Busy, InvalidArgument
from storplan.model.enums import Kind
from storplan.providers.kit.conflicts import require_same
from storplan.size import Size

from .db import Tx
from .operations import Args, Result, conflict, differences, now, operation, pool_row, reserve

__all__: list[str] = []


@operation
def create_filesystem(tx: Tx, args: Args) -> Result:
    pool = pool_row(tx, args["pool_id"], "filesystem")
    existing = tx.one(
        "SELECT id, pool_id, size FROM filesystems WHERE system_id = ? AND name = ?",
        pool[1],
        args["name"],
    )
    if existing is not None:
        diff = differences(
            {"pool": f"pool{existing[1]}", "size": Size(existing[2])},
            {"pool": f"pool{pool[0]}", "size": Size(args["size"])},
        )
        if diff:
            raise conflict("file system", args["name"], diff)
        return Kind.FILESYSTEMS, (existing[0],)
    reserve(tx, pool[0], args["size"], args["size"], False)
    fs = tx.run(
        "INSERT INTO filesystems(system_id, pool_id, name, size) VALUES (?, ?, ?, ?)",
        pool[1],
        pool[0],
        args["name"],
        args["size"],
    )
    return Kind.FILESYSTEMS, (fs,)


@operation
def resize_filesystem(tx: Tx, args: Args) -> Result:
    fs, pool, size = tx.require("filesystems", args["filesystem_id"], "id, pool_id, size")
    delta = args["size"] - size
    if delta:
        reserve(tx, pool, delta, delta, False)
        tx.run("UPDATE filesystems SET size = ? WHERE id = ?", args["size"], fs)
    return Kind.FILESYSTEMS, (fs,)


@operation
def delete_filesystem(tx: Tx, args: Args) -> Result:
    fs, name, pool, size = tx.require(
        "filesystems", args["filesystem_id"], "id, name, pool_id, size"
    )
    for table, what in (("exports", "export(s)"), ("fs_snapshots", "snapshot(s)")):
        count = tx.one(f"SELECT count(*) FROM {table} WHERE fs_id = ?", fs)[0]
        if count:
            raise Busy(
                f"file system {name!r} has {count} {what}",
                hint=f"delete its {what.removesuffix('(s)')}s first",
            )
    reserve(tx, pool, -size, -size, False)
    tx.run("DELETE FROM filesystems WHERE id = ?", fs)
    return None


@operation
def create_fs_snapshot(tx: Tx, args: Args) -> Result:
    fs = tx.require("filesystems", args["filesystem_id"], "id")[0]
    existing = tx.one("SELECT id FROM fs_snapshots WHERE fs_id = ? AND name = ?", fs, args["name"])
    if existing is not None:
        return Kind.FS_SNAPSHOTS, (existing[0],)
    snapshot = tx.run(
        "INSERT INTO fs_snapshots(fs_id, name, created_at) VALUES (?, ?, ?)",
        fs,
        args["name"],
        now(),
    )
    return Kind.FS_SNAPSHOTS, (snapshot,)


@operation
def delete_fs_snapshot(tx: Tx, args: Args) -> Result:
    snapshot = tx.require("fs_snapshots", args["fs_snapshot_id"], "id")[0]
    tx.run("DELETE FROM fs_snapshots WHERE id = ?", snapshot)
    # Its clones stand alone from now on (as thin clones on LVM or a reflink copy do).
    tx.run("UPDATE filesystems SET clone_of = NULL WHERE clone_of = ?", snapshot)
    return None


@operation
def create_fs_clone(tx: Tx, args: Args) -> Result:
    """A writable file system from a snapshot, in its file system's pool, at least as big
    as that file system (it is accounted like any file system: the simulator has no shared
    blocks); idempotent by name."""
    snapshot, fs = tx.require("fs_snapshots", args["fs_snapshot_id"], "id, fs_id")
    system, pool, size, used = tx.one(
        "SELECT system_id, pool_id, size, used FROM filesystems WHERE id = ?", fs
    )
    wanted = size if args["size"] is None else args["size"]
    if wanted < size:
        raise InvalidArgument(
            f"a clone cannot be smaller than its source ({Size(size)})",
            hint="leave the size out, or give at least the source's size",
        )
    existing = tx.one(
        "SELECT id, clone_of, size FROM filesystems WHERE system_id = ? AND name = ?",
        system,
        args["name"],
    )
    if existing is not None:
        have = {"clone_of": existing[1] and f"fss{existing[1]}"}
        want = {"clone_of": f"fss{snapshot}"}
        if args["size"] is not None:
            have["size"], want["size"] = str(Size(existing[2])), str(Size(wanted))
        diff = differences(have, want)
        if diff:
            raise conflict("file system", args["name"], diff)
        return Kind.FILESYSTEMS, (existing[0],)
    reserve(tx, pool, wanted, wanted, False)
    clone = tx.run(
        "INSERT INTO filesystems(system_id, pool_id, name, size, used, clone_of) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        system,
        pool,
        args["name"],
        wanted,
        used,
        snapshot,
    )
    return Kind.FILESYSTEMS, (clone,)


@operation
def restore_fs_snapshot(tx: Tx, args: Args) -> Result:
    fs = tx.require("fs_snapshots", args["fs_snapshot_id"], "fs_id")[0]
    tx.run("UPDATE filesystems SET used = 0 WHERE id = ?", fs)
    return Kind.FILESYSTEMS, (fs,)


def _option_values(options: dict[str, Any]) -> list[object]:
    return [
        json.dumps(options["clients"]),
        options["anon_uid"],
        options["anon_gid"],
        json.dumps(options["security"]),
        int(options["sync"]),
        json.dumps(options["nfs_versions"]),
    ]


@operation
def create_export(tx: Tx, args: Args) -> Result:
    fs, system = tx.require("filesystems", args["filesystem_id"], "id, system_id")
    existing = tx.one(
        "SELECT id, fs_id FROM exports WHERE system_id = ? AND path = ?", system, args["path"]
    )
    if existing is not None:
        have = {"filesystem": f"fs{existing[1]}", **_stored_options(tx, existing[0])}
        require_same("export", args["path"], have, {"filesystem": f"fs{fs}", **args["options"]})
        return Kind.EXPORTS, (existing[0],)
    export = tx.run(
        "INSERT INTO exports(system_id, fs_id, path, clients, anon_uid, anon_gid, security, "
        "sync, nfs_versions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        system,
        fs,
        args["path"],
        *_option_values(args["options"]),
    )
    return Kind.EXPORTS, (export,)


def _stored_options(tx: Tx, export: int) -> dict[str, Any]:
    from .rows import exports

    return exports(tx, "WHERE id = ?", export)[0].options().to_dict()


@operation
def modify_export(tx: Tx, args: Args) -> Result:
    export = tx.require("exports", args["export_id"], "id")[0]
    tx.run(
        "UPDATE exports SET clients = ?, anon_uid = ?, anon_gid = ?, security = ?, sync = ?, "
        "nfs_versions = ? WHERE id = ?",
        *_option_values(args["options"]),
        export,
    )
    return Kind.EXPORTS, (export,)


@operation
def delete_export(tx: Tx, args: Args) -> Result:
    export = tx.require("exports", args["export_id"], "id")[0]
    tx.run("DELETE FROM exports WHERE id = ?", export)
    return None
