"""Simulated volume snapshots and replicas (clones, copies, mirrors)."""

from __future__ import annotations

from storplan.errors import InvalidArgument
from storplan.model.enums import Kind

from .db import Tx
from .operations import Args, Result, conflict, now, operation, pool_row
from .ops_volumes import insert_volume

__all__: list[str] = []


@operation
def create_snapshot(tx: Tx, args: Args) -> Result:
    volume, size = tx.require("volumes", args["volume_id"], "id, size")
    existing = tx.one(
        "SELECT id FROM snapshots WHERE volume_id = ? AND name = ?", volume, args["name"]
    )
    if existing is not None:
        return Kind.SNAPSHOTS, (existing[0],)
    snapshot = tx.run(
        "INSERT INTO snapshots(volume_id, name, created_at, size) VALUES (?, ?, ?, ?)",
        volume,
        args["name"],
        now(),
        size,
    )
    return Kind.SNAPSHOTS, (snapshot,)


@operation
def delete_snapshot(tx: Tx, args: Args) -> Result:
    snapshot = tx.require("snapshots", args["snapshot_id"], "id")[0]
    tx.run("DELETE FROM snapshots WHERE id = ?", snapshot)
    return None


@operation
def restore_snapshot(tx: Tx, args: Args) -> Result:
    """Roll the volume back: its data (simulated by ``used``) returns to the snapshot's."""
    volume, size = tx.require("snapshots", args["snapshot_id"], "volume_id, size")
    current = tx.one("SELECT size FROM volumes WHERE id = ?", volume)[0]
    if current < size:
        raise InvalidArgument(
            "the volume was shrunk below the snapshot's size",
            hint="grow the volume back before restoring",
        )
    tx.run("UPDATE volumes SET used = 0 WHERE id = ?", volume)
    return Kind.VOLUMES, (volume,)


@operation
def create_replica(tx: Tx, args: Args) -> Result:
    source, system, source_pool, size, thin = tx.require(
        "volumes", args["source_volume_id"], "id, system_id, pool_id, size, thin"
    )
    kind = args["kind"]
    pool = pool_row(tx, args["pool_id"] or f"pool{source_pool}", "volume")
    if pool[1] != system and kind != "mirror_async":
        raise InvalidArgument("only asynchronous mirrors may target another system's pool")
    existing = tx.one(
        "SELECT v.id, r.id, r.source_id, r.kind FROM volumes v LEFT JOIN "
        "replicas r ON r.target_id = v.id WHERE v.system_id = ? AND v.name = ?",
        pool[1],
        args["name"],
    )
    if existing is not None:
        if existing[1] is None or (existing[2], existing[3]) != (source, kind):
            have = f"vol{existing[2]}/{existing[3]}" if existing[1] else "a plain volume"
            raise conflict("volume", args["name"], {"replica of": (have, f"vol{source}/{kind}")})
        return Kind.REPLICAS, (existing[1],)
    # Clones share blocks with their source, so they stay thin; copies and mirrors keep the
    # source's provisioning.
    target = insert_volume(
        tx, (pool[0], pool[1]), args["name"], size, True if kind == "clone" else bool(thin)
    )
    state = "syncing" if kind == "mirror_async" else "synced"
    replica = tx.run(
        "INSERT INTO replicas(source_id, target_id, kind, state) VALUES (?,?,?,?)",
        source,
        target,
        kind,
        state,
    )
    return Kind.REPLICAS, (replica,)


@operation
def delete_replica(tx: Tx, args: Args) -> Result:
    replica = tx.require("replicas", args["replica_id"], "id")[0]
    tx.run("DELETE FROM replicas WHERE id = ?", replica)
    return None
