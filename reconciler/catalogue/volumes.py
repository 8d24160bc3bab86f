"""Catalogue entries of pools, volumes, snapshots and replicas."""

from __future__ import annotations

from typing import Any

from ..keys import Key, ObjectKind
from ..model.enums import Capability, ElementType
from . import checks
from .base import (
    Arg,
    ArgKind,
    Learn,
    Operation,
    Param,
    Params,
    Risk,
    Verb,
    always,
    exists,
    fixed,
    key_of,
)
from .common import NONE, REPLICA_CAPABILITY, deletion, ref, snapshot_family, value

__all__ = ["VOLUME_OPERATIONS"]

K, C = ObjectKind, Capability
_POOL = key_of(K.POOL, "pool")
_VOLUME = key_of(K.VOLUME, "volume")
_SNAPSHOT = key_of(K.SNAPSHOT, "volume", "snapshot")
_REPLICA = key_of(K.REPLICA, "replica")


def _grows(params: Params, live: Any) -> bool:
    return live is None or params["size"] >= live.size


def _resized(params: Params, live: Any) -> bool:
    found = live(Key.of(K.VOLUME, params["volume"]))
    return found is not None and found.size == params["size"]


VOLUME_OPERATIONS = (
    Operation(
        name="create_pool",
        kind=K.POOL,
        verb=Verb.CREATE,
        rank=40,
        summary="create a pool from free disks",
        params=(Param("pool", str), Param("disks", list)),
        args=(Arg(ArgKind.SYSTEM, ("system",)), value("pool"), Arg(ArgKind.DISKS, ("disks",))),
        target=_POOL,
        needs=fixed(C.POOL_CREATE),
        risk=always(Risk.SAFE),
        settled=exists(_POOL),
        learn=Learn.RESULT,
        limit_checks=checks.name_allowed("pool", "pool"),
        checks=(checks.disks_free,),
        owns=True,
    ),
    deletion(
        "delete_pool",
        K.POOL,
        230,
        "delete an empty pool, returning its disks",
        "pool",
        C.POOL_CREATE,
        Risk.DESTRUCTIVE,
    ),
    Operation(
        name="create_volume",
        kind=K.VOLUME,
        verb=Verb.CREATE,
        rank=90,
        summary="create a volume (thin or thick)",
        params=(Param("volume", str), Param("pool", str), Param("size", int), Param("thin", bool)),
        args=(ref(K.POOL, "pool"), value("volume"), value("size"), value("thin")),
        target=_VOLUME,
        needs=lambda p, _live: (C.VOLUMES, C.VOLUME_THIN if p["thin"] else C.VOLUME_THICK),
        risk=always(Risk.SAFE),
        settled=exists(_VOLUME),
        learn=Learn.RESULT,
        limit_checks=checks.all_of(
            checks.name_allowed("volume", "volume"), checks.volume_size_allowed
        ),
        checks=(checks.pool_holds(ElementType.VOLUME),),
        owns=True,
    ),
    Operation(
        name="resize_volume",
        kind=K.VOLUME,
        verb=Verb.UPDATE,
        rank=100,
        summary="grow or shrink a volume (shrinking loses the data beyond the new end)",
        params=(Param("volume", str), Param("size", int)),
        args=(ref(K.VOLUME, "volume"), value("size")),
        target=_VOLUME,
        needs=lambda p, live: (C.VOLUME_GROW if _grows(p, live) else C.VOLUME_SHRINK,),
        risk=lambda p, live: Risk.SAFE if _grows(p, live) else Risk.DESTRUCTIVE,
        settled=_resized,
        learn=Learn.RESULT,
        limit_checks=checks.volume_size_allowed,
    ),
    Operation(
        name="rename_volume",
        kind=K.VOLUME,
        verb=Verb.UPDATE,
        rank=80,
        summary="rename a volume (its data and WWN stay)",
        params=(Param("volume", str), Param("name", str)),
        args=(ref(K.VOLUME, "volume"), value("name")),
        target=key_of(K.VOLUME, "name"),
        needs=fixed(C.VOLUME_RENAME),
        risk=always(Risk.SAFE),
        settled=exists(key_of(K.VOLUME, "name")),
        learn=Learn.RENAME,
        previous=_VOLUME,
        limit_checks=checks.name_allowed("volume", "name"),
    ),
    deletion(
        "delete_volume",
        K.VOLUME,
        200,
        "delete a volume and all its data",
        "volume",
        C.VOLUMES,
        Risk.DESTRUCTIVE,
    ),
    *snapshot_family(
        K.SNAPSHOT,
        K.VOLUME,
        "volume",
        "snapshot",
        (120, 180, 240),
        (C.SNAPSHOTS, C.SNAPSHOT_RESTORE),
        "data written",
    ),
    Operation(
        name="create_replica",
        kind=K.REPLICA,
        verb=Verb.CREATE,
        rank=110,
        summary="replicate a volume (clone, copy or mirror) into a new volume",
        params=(
            Param("source", str),
            Param("replica", str),
            Param("kind", str),
            Param("pool", (str, NONE)),
        ),
        args=(
            ref(K.VOLUME, "source"),
            value("replica"),
            Arg(ArgKind.REPLICA_KIND, ("kind",)),
            ref(K.POOL, "pool", optional=True),
        ),
        target=_REPLICA,
        needs=lambda p, _live: (REPLICA_CAPABILITY[p["kind"]],),
        risk=always(Risk.SAFE),
        settled=exists(_REPLICA),
        learn=Learn.REPLICA,
        limit_checks=checks.name_allowed("volume", "replica"),
        checks=(checks.pool_holds(ElementType.VOLUME),),
        owns=True,
    ),
    deletion(
        "delete_replica",
        K.REPLICA,
        250,
        "dissolve a replica relationship (the target volume stays)",
        "replica",
        lambda _p, live: (REPLICA_CAPABILITY[live.kind.value if live else "clone"],),
        Risk.DISRUPTIVE,
        owns=False,
    ),
)
