"""Turning simulator rows into model objects, in bulk (one query per kind).

Each loader imports its model classes itself, so listing one kind only defines the classes it
needs (start-up time of ``storplan show``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from storplan.model.enums import Kind
from storplan.model.state import State

if TYPE_CHECKING:
    from storplan.model import (
        AccessGroup,
        Condition,
        Disk,
        FileSystem,
        FsSnapshot,
        Mapping,
        NfsExport,
        Pool,
        Provisioning,
        Replica,
        Snapshot,
        System,
        TargetPort,
        Volume,
    )

from .db import FORMAT_1, OLD_FORMATS, Tx

__all__ = ["LOADERS", "load_one", "observe"]


def _conditions(text: str | None) -> tuple[Condition, ...]:
    from storplan.model.base import Condition

    return (Condition("disk.predictive_failure", text),) if text else ()


def systems(tx: Tx, where: str = "", *args: Any) -> list[System]:
    from storplan.model import Health, System

    return [
        System(f"sys{r[0]}", r[1], r[2], r[3], r[4], Health(r[5]))
        for r in tx.all(
            f"SELECT id, name, vendor, model, firmware, health FROM systems {where} ORDER BY id",
            *args,
        )
    ]


def pools(tx: Tx, where: str = "", *args: Any) -> list[Pool]:
    from storplan.model import ElementType, Health, Pool, Size

    return [
        Pool(
            f"pool{r[0]}",
            f"sys{r[1]}",
            r[2],
            frozenset(ElementType(t) for t in r[3].split(",")),
            Size(r[4]),
            Size(r[4] - r[5]),
            Size(r[6]),
            r[7],
            Health(r[8]),
            provisioning=_provisioning(r[7]),
        )
        for r in tx.all(
            "SELECT id, system_id, name, element_types, total, consumed, "
            f"subscribed, oversub, health FROM pools {where} ORDER BY id",
            *args,
        )
    ]


def _provisioning(oversub: float | None) -> frozenset[Provisioning]:
    """A pool without an over-subscription limit holds thick volumes only."""
    from storplan.model import Provisioning

    if oversub is None:
        return frozenset({Provisioning.THICK})
    return frozenset({Provisioning.THIN, Provisioning.THICK})


def disks(tx: Tx, where: str = "", *args: Any) -> list[Disk]:
    from storplan.model import Disk, DiskKind, Health, Size

    return [
        Disk(
            f"disk{r[0]}",
            f"sys{r[1]}",
            r[2],
            DiskKind(r[3]),
            Size(r[4]),
            None if r[5] is None else f"pool{r[5]}",
            r[6],
            Health(r[7]),
            _conditions(r[8]),
        )
        for r in tx.all(
            "SELECT id, system_id, name, kind, size, pool_id, serial, health, "
            f"condition FROM disks {where} ORDER BY id",
            *args,
        )
    ]


def volumes(tx: Tx, where: str = "", *args: Any) -> list[Volume]:
    from storplan.model import Size, Volume

    sizes: dict[int, Size] = {}  # sizes repeat: one Size object per distinct value
    size = sizes.get
    return [
        Volume(
            f"vol{r[0]}",
            f"sys{r[1]}",
            f"pool{r[2]}",
            r[3],
            size(r[4]) or sizes.setdefault(r[4], Size(r[4])),
            bool(r[5]),
            r[6],
            512,
            size(r[7]) or sizes.setdefault(r[7], Size(r[7])),
        )
        for r in tx.all(
            "SELECT id, system_id, pool_id, name, size, thin, wwn, used "
            f"FROM volumes {where} ORDER BY id",
            *args,
        )
    ]


def access_groups(tx: Tx, where: str = "", *args: Any) -> list[AccessGroup]:
    from storplan.model import AccessGroup, Initiator, InitiatorKind

    rows = tx.all(f"SELECT id, system_id, name FROM access_groups {where} ORDER BY id", *args)
    members: dict[int, list[Initiator]] = defaultdict(list)
    mutual = "NULL" if tx.format == FORMAT_1 else "mutual_user"
    columns = f"ag_id, initiator, kind, chap_user, {mutual} FROM initiators"
    if len(rows) == 1:
        found = tx.all(f"SELECT {columns} WHERE ag_id = ?", rows[0][0])
    else:
        found = tx.all(f"SELECT {columns}")
    for ag_id, initiator, kind, chap_user, mutual_user in found:
        members[ag_id].append(Initiator(initiator, InitiatorKind(kind), chap_user, mutual_user))
    return [
        AccessGroup(f"ag{r[0]}", f"sys{r[1]}", r[2], tuple(sorted(members.get(r[0], ()))))
        for r in rows
    ]


def mappings(tx: Tx, where: str = "", *args: Any) -> list[Mapping]:
    from storplan.model import Mapping

    # A volume or group id repeats in each of its mappings: one str object per id.
    volumes: dict[int, str] = {}
    groups: dict[int, str] = {}
    volume, group = volumes.get, groups.get
    return [
        Mapping(
            volume(r[0]) or volumes.setdefault(r[0], f"vol{r[0]}"),
            group(r[1]) or groups.setdefault(r[1], f"ag{r[1]}"),
            r[2],
        )
        for r in tx.all(
            f"SELECT volume_id, ag_id, lun FROM mappings {where} ORDER BY volume_id, ag_id", *args
        )
    ]


def snapshots(tx: Tx, where: str = "", *args: Any) -> list[Snapshot]:
    from storplan.model import Size, Snapshot

    return [
        Snapshot(f"snap{r[0]}", f"vol{r[1]}", r[2], r[3], Size(r[4]))
        for r in tx.all(
            f"SELECT id, volume_id, name, created_at, size FROM snapshots {where} ORDER BY id",
            *args,
        )
    ]


def replicas(tx: Tx, where: str = "", *args: Any) -> list[Replica]:
    from storplan.model import Replica, ReplicaKind, ReplicaState

    return [
        Replica(f"rep{r[0]}", f"vol{r[1]}", f"vol{r[2]}", ReplicaKind(r[3]), ReplicaState(r[4]))
        for r in tx.all(
            f"SELECT id, source_id, target_id, kind, state FROM replicas {where} ORDER BY id", *args
        )
    ]


def filesystems(tx: Tx, where: str = "", *args: Any) -> list[FileSystem]:
    from storplan.model import FileSystem, Size

    clone_of = "NULL" if tx.format in OLD_FORMATS else "clone_of"
    return [
        FileSystem(f"fs{r[0]}", f"sys{r[1]}", f"pool{r[2]}", r[3], Size(r[4]), Size(r[5]),
                   clone_of=None if r[6] is None else f"fss{r[6]}")
        for r in tx.all(
            f"SELECT id, system_id, pool_id, name, size, used, {clone_of} FROM filesystems "
            f"{where} ORDER BY id",
            *args,
        )
    ]  # fmt: skip


def fs_snapshots(tx: Tx, where: str = "", *args: Any) -> list[FsSnapshot]:
    from storplan.model import FsSnapshot

    return [
        FsSnapshot(f"fss{r[0]}", f"fs{r[1]}", r[2], r[3])
        for r in tx.all(
            f"SELECT id, fs_id, name, created_at FROM fs_snapshots {where} ORDER BY id", *args
        )
    ]


def exports(tx: Tx, where: str = "", *args: Any) -> list[NfsExport]:
    from storplan.model import ExportOptions, NfsExport

    if tx.format == FORMAT_1:
        return _exports_v1(tx, where, *args)
    return [
        NfsExport(
            f"exp{r[0]}",
            f"fs{r[1]}",
            r[2],
            **vars_of(
                ExportOptions.canonical(
                    clients=json.loads(r[3]),
                    anon_uid=r[4],
                    anon_gid=r[5],
                    security=json.loads(r[6]),
                    sync=bool(r[7]),
                    nfs_versions=json.loads(r[8]),
                )
            ),
        )
        for r in tx.all(
            "SELECT id, fs_id, path, clients, anon_uid, anon_gid, security, sync, "
            f"nfs_versions FROM exports {where} ORDER BY id",
            *args,
        )
    ]


def _exports_v1(tx: Tx, where: str, *args: Any) -> list[NfsExport]:
    """Exports of a storplan-sim/1 file: one access and squash setting for every client."""
    from storplan.model import ExportOptions, NfsExport

    found = []
    for r in tx.all(
        "SELECT id, fs_id, path, clients, access, root_squash, anon_uid, anon_gid, security "
        f"FROM exports {where} ORDER BY id",
        *args,
    ):
        squash = "root" if r[5] else "none"
        clients = [{"match": c, "access": r[4], "squash": squash} for c in json.loads(r[3])]
        options = ExportOptions.canonical(
            clients=clients, anon_uid=r[6], anon_gid=r[7], security=json.loads(r[8])
        )
        found.append(NfsExport(f"exp{r[0]}", f"fs{r[1]}", r[2], **vars_of(options)))
    return found


def vars_of(options: Any) -> dict[str, Any]:
    """The option fields of an :class:`~storplan.model.ExportOptions`, as keywords."""
    from storplan.model import EXPORT_OPTION_FIELDS

    return {name: getattr(options, name) for name in EXPORT_OPTION_FIELDS}


def target_ports(tx: Tx, where: str = "", *args: Any) -> list[TargetPort]:
    from storplan.model import InitiatorKind, LinkState, TargetPort

    return [
        TargetPort(
            f"tp{r[0]}", f"sys{r[1]}", InitiatorKind(r[2]), r[3], r[4], LinkState(r[5]), r[6]
        )
        for r in tx.all(
            "SELECT id, system_id, kind, address, portal, link, speed "
            f"FROM target_ports {where} ORDER BY id",
            *args,
        )
    ]


LOADERS: dict[Kind, Callable[..., list[Any]]] = {
    Kind.SYSTEMS: systems,
    Kind.POOLS: pools,
    Kind.DISKS: disks,
    Kind.VOLUMES: volumes,
    Kind.ACCESS_GROUPS: access_groups,
    Kind.MAPPINGS: mappings,
    Kind.SNAPSHOTS: snapshots,
    Kind.REPLICAS: replicas,
    Kind.FILESYSTEMS: filesystems,
    Kind.FS_SNAPSHOTS: fs_snapshots,
    Kind.EXPORTS: exports,
    Kind.TARGET_PORTS: target_ports,
}


def observe(tx: Tx, kinds: frozenset[Kind] | None) -> State:
    """Everything of the requested kinds, one query per kind (two for access groups)."""
    wanted = Kind if kinds is None else kinds
    return State(**{kind.value: tuple(LOADERS[kind](tx)) for kind in wanted})


def load_one(tx: Tx, kind: Kind, key: tuple[int, ...]) -> Any:
    """One object by its row key (``(rowid,)``, or ``(volume, group)`` for a mapping)."""
    where = "WHERE volume_id = ? AND ag_id = ?" if kind is Kind.MAPPINGS else "WHERE id = ?"
    found = LOADERS[kind](tx, where, *key)
    return found[0] if found else None
