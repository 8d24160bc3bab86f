"""Simulated hosts (access groups), initiators, CHAP and LUN masking."""

from __future__ import annotations

from storplan.errors import AlreadyExists, Busy, NotFound
from storplan.model.enums import Kind

from .db import Tx
from .operations import Args, Result, conflict, operation, same_system

__all__: list[str] = []


def _claim_initiator(tx: Tx, system: int, group: int, initiator: dict[str, str]) -> None:
    """Put an initiator in a group; an initiator belongs to at most one group per system."""
    owner = tx.one(
        "SELECT ag_id, (SELECT name FROM access_groups WHERE id = ag_id) "
        "FROM initiators WHERE system_id = ? AND initiator = ?",
        system,
        initiator["id"],
    )
    if owner is not None:
        if owner[0] == group:
            return
        raise AlreadyExists(
            f"initiator {initiator['id']} already belongs to access group {owner[1]!r}",
            hint="remove it from that group first",
        )
    tx.run(
        "INSERT INTO initiators(system_id, ag_id, initiator, kind) VALUES (?, ?, ?, ?)",
        system,
        group,
        initiator["id"],
        initiator["kind"],
    )


@operation
def create_access_group(tx: Tx, args: Args) -> Result:
    system = tx.require("systems", args["system_id"], "id")[0]
    wanted = sorted(i["id"] for i in args["initiators"])
    existing = tx.one(
        "SELECT id FROM access_groups WHERE system_id = ? AND name = ?", system, args["name"]
    )
    if existing is not None:
        have = [
            r[0]
            for r in tx.all(
                "SELECT initiator FROM initiators WHERE ag_id = ? ORDER BY initiator", existing[0]
            )
        ]
        if have != wanted:
            raise conflict("access group", args["name"], {"initiators": (have, wanted)})
        return Kind.ACCESS_GROUPS, (existing[0],)
    group = tx.run("INSERT INTO access_groups(system_id, name) VALUES (?, ?)", system, args["name"])
    for initiator in args["initiators"]:
        _claim_initiator(tx, system, group, initiator)
    return Kind.ACCESS_GROUPS, (group,)


@operation
def delete_access_group(tx: Tx, args: Args) -> Result:
    group, name = tx.require("access_groups", args["access_group_id"], "id, name")
    mapped = tx.one("SELECT count(*) FROM mappings WHERE ag_id = ?", group)[0]
    if mapped:
        raise Busy(f"access group {name!r} has {mapped} mapped volume(s)", hint="unmap them first")
    tx.run("DELETE FROM initiators WHERE ag_id = ?", group)
    tx.run("DELETE FROM access_groups WHERE id = ?", group)
    return None


@operation
def add_initiator(tx: Tx, args: Args) -> Result:
    group, system = tx.require("access_groups", args["access_group_id"], "id, system_id")
    _claim_initiator(tx, system, group, args["initiator"])
    return Kind.ACCESS_GROUPS, (group,)


def _member(tx: Tx, args: Args) -> tuple[int, str]:
    group, name = tx.require("access_groups", args["access_group_id"], "id, name")
    if (
        tx.one(
            "SELECT 1 FROM initiators WHERE ag_id = ? AND initiator = ?",
            group,
            args["initiator_id"],
        )
        is None
    ):
        raise NotFound(f"initiator {args['initiator_id']} is not in access group {name!r}")
    return group, name


@operation
def remove_initiator(tx: Tx, args: Args) -> Result:
    group, _ = _member(tx, args)
    tx.run("DELETE FROM initiators WHERE ag_id = ? AND initiator = ?", group, args["initiator_id"])
    return Kind.ACCESS_GROUPS, (group,)


@operation
def set_chap(tx: Tx, args: Args) -> Result:
    group, _ = _member(tx, args)
    chap = args["chap"] or {}
    tx.run(
        "UPDATE initiators SET chap_user = ?, chap_digest = ?, mutual_user = ?, "
        "mutual_digest = ? WHERE ag_id = ? AND initiator = ?",
        chap.get("user"),
        chap.get("secret_digest"),
        chap.get("mutual_user"),
        chap.get("mutual_digest"),
        group,
        args["initiator_id"],
    )
    return Kind.ACCESS_GROUPS, (group,)


@operation
def map_volume(tx: Tx, args: Args) -> Result:
    volume, volume_system, volume_name = tx.require(
        "volumes", args["volume_id"], "id, system_id, name"
    )
    group, group_system, group_name = tx.require(
        "access_groups", args["access_group_id"], "id, system_id, name"
    )
    same_system("volume", volume_system, "access group", group_system)
    lun = args["lun"]
    existing = tx.one("SELECT lun FROM mappings WHERE volume_id = ? AND ag_id = ?", volume, group)
    if existing is not None:
        if lun is not None and existing[0] != lun:
            raise conflict("mapping", f"{volume_name}@{group_name}", {"lun": (existing[0], lun)})
        return Kind.MAPPINGS, (volume, group)
    if lun is None:
        used = {r[0] for r in tx.all("SELECT lun FROM mappings WHERE ag_id = ?", group)}
        lun = next(n for n in range(len(used) + 1) if n not in used)
    else:
        holder = tx.one(
            "SELECT (SELECT name FROM volumes WHERE id = volume_id) FROM mappings "
            "WHERE ag_id = ? AND lun = ?",
            group,
            lun,
        )
        if holder is not None:
            raise AlreadyExists(
                f"LUN {lun} of access group {group_name!r} is used by volume {holder[0]!r}",
                hint="choose another LUN or leave it unset",
            )
    tx.run("INSERT INTO mappings(volume_id, ag_id, lun) VALUES (?, ?, ?)", volume, group, lun)
    return Kind.MAPPINGS, (volume, group)


@operation
def unmap_volume(tx: Tx, args: Args) -> Result:
    volume, volume_name = tx.require("volumes", args["volume_id"], "id, name")
    group, group_name = tx.require("access_groups", args["access_group_id"], "id, name")
    if tx.one("SELECT 1 FROM mappings WHERE volume_id = ? AND ag_id = ?", volume, group) is None:
        raise NotFound(f"volume {volume_name!r} is not mapped to access group {group_name!r}")
    tx.run("DELETE FROM mappings WHERE volume_id = ? AND ag_id = ?", volume, group)
    return None
