"""Simulated pools and volumes."""

from __future__ import annotations

from storplan.errors import Busy, InvalidArgument, NotFound
from storplan.model.enums import Kind
from storplan.size import Size

from .db import Tx, parse_id
from .operations import Args, Result, conflict, differences, operation, pool_row, reserve

__all__: list[str] = []


def wwn_for(tx: Tx, volume_rowid: int) -> str:
    """A unique NAA-6 identifier: a per-file random salt and the volume's row id."""
    salt = tx.one("SELECT value FROM meta WHERE key = 'wwn_salt'")[0]
    return f"naa.65f0a1b{salt}{volume_rowid:016x}"


def insert_volume(tx: Tx, pool: tuple[int, int], name: str, size: int, thin: bool) -> int:
    """Reserve space and insert a volume row; returns its row id."""
    reserve(tx, pool[0], 0 if thin else size, size, thin)
    rowid = tx.run(
        "INSERT INTO volumes(system_id, pool_id, name, size, thin, wwn) VALUES (?, ?, ?, ?, ?, '')",
        pool[1],
        pool[0],
        name,
        size,
        int(thin),
    )
    tx.run("UPDATE volumes SET wwn = ? WHERE id = ?", wwn_for(tx, rowid), rowid)
    return rowid


@operation
def create_pool(tx: Tx, args: Args) -> Result:
    system = tx.require("systems", args["system_id"], "id")[0]
    disks = sorted({parse_id("disks", d) for d in args["disk_ids"]})
    if not disks:
        raise InvalidArgument("a pool needs at least one disk")
    existing = tx.one("SELECT id FROM pools WHERE system_id = ? AND name = ?", system, args["name"])
    if existing is not None:
        have = [
            r[0] for r in tx.all("SELECT id FROM disks WHERE pool_id = ? ORDER BY id", existing[0])
        ]
        if have == disks:
            return Kind.POOLS, (existing[0],)
        raise conflict("pool", args["name"], {"disks": (have, disks)})
    total = 0
    for disk in disks:
        row = tx.one("SELECT system_id, pool_id, size, name FROM disks WHERE id = ?", disk)
        if row is None:
            raise NotFound(f"disk disk{disk} does not exist")
        if row[0] != system or row[1] is not None:
            raise InvalidArgument(
                f"disk {row[3]} is not a free disk of this system",
                hint="pick disks listed by `storplan show disks` without a pool",
            )
        total += row[2]
    pool = tx.run(
        "INSERT INTO pools(system_id, name, element_types, total, oversub) "
        "VALUES (?, ?, 'volume,filesystem', ?, 4.0)",
        system,
        args["name"],
        total,
    )
    tx.conn.executemany("UPDATE disks SET pool_id = ? WHERE id = ?", [(pool, d) for d in disks])
    return Kind.POOLS, (pool,)


@operation
def delete_pool(tx: Tx, args: Args) -> Result:
    pool, name = tx.require("pools", args["pool_id"], "id, name")
    used = tx.one(
        "SELECT (SELECT count(*) FROM volumes WHERE pool_id = ?) + "
        "(SELECT count(*) FROM filesystems WHERE pool_id = ?)",
        pool,
        pool,
    )[0]
    if used:
        raise Busy(
            f"pool {name!r} still holds {used} volume(s) or file system(s)",
            hint="delete them first",
        )
    tx.run("UPDATE disks SET pool_id = NULL WHERE pool_id = ?", pool)
    tx.run("DELETE FROM pools WHERE id = ?", pool)
    return None


@operation
def create_volume(tx: Tx, args: Args) -> Result:
    pool = pool_row(tx, args["pool_id"], "volume")
    name, size, thin = args["name"], args["size"], bool(args["thin"])
    existing = tx.one(
        "SELECT id, pool_id, size, thin FROM volumes WHERE system_id = ? AND name = ?",
        pool[1],
        name,
    )
    if existing is not None:
        diff = differences(
            {"pool": f"pool{existing[1]}", "size": Size(existing[2]), "thin": bool(existing[3])},
            {"pool": f"pool{pool[0]}", "size": Size(size), "thin": thin},
        )
        if diff:
            raise conflict("volume", name, diff)
        return Kind.VOLUMES, (existing[0],)
    return Kind.VOLUMES, (insert_volume(tx, (pool[0], pool[1]), name, size, thin),)


@operation
def delete_volume(tx: Tx, args: Args) -> Result:
    volume, name, pool, size, thin, used = tx.require(
        "volumes", args["volume_id"], "id, name, pool_id, size, thin, used"
    )
    checks = [
        (
            "SELECT count(*) FROM mappings WHERE volume_id = ?",
            "is mapped to {} host(s)",
            "unmap it first",
        ),
        (
            "SELECT count(*) FROM snapshots WHERE volume_id = ?",
            "has {} snapshot(s)",
            "delete its snapshots first",
        ),
        (
            "SELECT count(*) FROM replicas WHERE source_id = ? OR target_id = ?",
            "is part of {} replica relationship(s)",
            "delete the replica relationship first",
        ),
    ]
    for sql, what, hint in checks:
        count = tx.one(sql, *([volume] * sql.count("?")))[0]
        if count:
            raise Busy(f"volume {name!r} " + what.format(count), hint=hint)
    reserve(tx, pool, -(used if thin else size), -size, bool(thin))
    tx.run("DELETE FROM volumes WHERE id = ?", volume)
    return None


@operation
def resize_volume(tx: Tx, args: Args) -> Result:
    volume, pool, size, thin, used = tx.require(
        "volumes", args["volume_id"], "id, pool_id, size, thin, used"
    )
    delta = args["size"] - size
    if delta:
        reserve(tx, pool, 0 if thin else delta, delta, bool(thin))
        new_used = min(used, args["size"])
        if thin and new_used != used:
            tx.run("UPDATE pools SET consumed = consumed - ? WHERE id = ?", used - new_used, pool)
        tx.run("UPDATE volumes SET size = ?, used = ? WHERE id = ?", args["size"], new_used, volume)
    return Kind.VOLUMES, (volume,)


@operation
def rename_volume(tx: Tx, args: Args) -> Result:
    volume, system, old = tx.require("volumes", args["volume_id"], "id, system_id, name")
    if old != args["name"]:
        clash = tx.one(
            "SELECT id FROM volumes WHERE system_id = ? AND name = ?", system, args["name"]
        )
        if clash is not None:
            raise conflict("volume", args["name"], {"id": (f"vol{clash[0]}", f"vol{volume}")})
        tx.run("UPDATE volumes SET name = ? WHERE id = ?", args["name"], volume)
    return Kind.VOLUMES, (volume,)
