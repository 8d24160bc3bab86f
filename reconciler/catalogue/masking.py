"""Catalogue entries of hosts and masking: access groups, initiators, CHAP, mappings."""

from __future__ import annotations

from typing import Any

from ..keys import Key, ObjectKind
from ..model.enums import Capability
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
    gone,
    key_of,
)
from .common import NONE, deletion, initiator_needs, ref, value

__all__ = ["MASKING_OPERATIONS"]

K, C = ObjectKind, Capability
_HOST = key_of(K.HOST, "host")
_INITIATOR = key_of(K.INITIATOR, "host", "initiator")
_MAPPING = key_of(K.MAPPING, "volume", "host")


def _host_settled(params: Params, live: Any) -> bool:
    found = live(Key.of(K.HOST, params["host"]))
    return found is not None and set(params["initiators"]) <= {i.id for i in found.initiators}


def _chap_settled(params: Params, live: Any) -> bool:
    found = live(Key.of(K.INITIATOR, params["host"], params["initiator"]))
    return (
        found is not None
        and found.chap_user == params["user"]
        and found.mutual_chap_user == params.get("mutual_user")
    )


def _mapped(params: Params, live: Any) -> bool:
    found = live(Key.of(K.MAPPING, params["volume"], params["host"]))
    return found is not None and params["lun"] in (None, found.lun)


MASKING_OPERATIONS = (
    Operation(
        name="create_access_group",
        kind=K.HOST,
        verb=Verb.CREATE,
        rank=50,
        summary="create a host (access group) with its initiators",
        params=(Param("host", str), Param("initiators", list)),
        args=(
            Arg(ArgKind.SYSTEM, ("system",)),
            value("host"),
            Arg(ArgKind.INITIATORS, ("initiators",)),
        ),
        target=_HOST,
        needs=initiator_needs,
        risk=always(Risk.SAFE),
        settled=_host_settled,
        learn=Learn.RESULT,
        limit_checks=checks.all_of(
            checks.name_allowed("access group", "host"), checks.initiator_count
        ),
        checks=(checks.initiators_unclaimed,),
        owns=True,
    ),
    deletion(
        "delete_access_group",
        K.HOST,
        220,
        "delete a host (it loses access to everything)",
        "host",
        C.ACCESS_GROUPS,
        Risk.DISRUPTIVE,
    ),
    Operation(
        name="add_initiator",
        kind=K.INITIATOR,
        verb=Verb.CREATE,
        rank=60,
        summary="add an initiator to a host",
        params=(Param("host", str), Param("initiator", str)),
        args=(ref(K.HOST, "host"), Arg(ArgKind.INITIATOR, ("initiator",))),
        target=_INITIATOR,
        needs=initiator_needs,
        risk=always(Risk.SAFE),
        settled=exists(_INITIATOR),
        checks=(checks.initiators_unclaimed,),
    ),
    Operation(
        name="remove_initiator",
        kind=K.INITIATOR,
        verb=Verb.DELETE,
        rank=0,
        summary="remove an initiator from a host (it loses access)",
        params=(Param("host", str), Param("initiator", str)),
        args=(ref(K.HOST, "host"), value("initiator")),
        target=_INITIATOR,
        needs=fixed(C.ACCESS_GROUPS),
        risk=always(Risk.DISRUPTIVE),
        settled=gone(_INITIATOR),
    ),
    Operation(
        name="set_chap",
        kind=K.INITIATOR,
        verb=Verb.UPDATE,
        rank=70,
        summary="set or clear the CHAP credentials of an initiator",
        params=(
            Param("host", str),
            Param("initiator", str),
            Param("user", (str, NONE)),
            Param("secret", (dict, NONE)),
            Param("mutual_user", (str, NONE), optional=True),
            Param("mutual_secret", (dict, NONE), optional=True),
        ),
        args=(
            ref(K.HOST, "host"),
            value("initiator"),
            Arg(ArgKind.CHAP, ("user", "secret", "mutual_user", "mutual_secret")),
        ),
        target=_INITIATOR,
        needs=lambda p, _live: (C.CHAP, C.CHAP_MUTUAL) if p.get("mutual_user") else (C.CHAP,),
        risk=always(Risk.SAFE),
        settled=_chap_settled,
        checks=(checks.chap_secrets_readable,),
    ),
    Operation(
        name="map_volume",
        kind=K.MAPPING,
        verb=Verb.CREATE,
        rank=130,
        summary="map a volume to a host, at a chosen or the next free LUN",
        params=(Param("volume", str), Param("host", str), Param("lun", (int, NONE))),
        args=(ref(K.VOLUME, "volume"), ref(K.HOST, "host"), value("lun")),
        target=_MAPPING,
        needs=lambda p, _live: (
            (C.MASKING,) if p["lun"] is None else (C.MASKING, C.MASKING_LUN_CHOICE)
        ),
        risk=always(Risk.SAFE),
        settled=_mapped,
        limit_checks=checks.lun_in_range,
        checks=(checks.lun_free,),
    ),
    Operation(
        name="unmap_volume",
        kind=K.MAPPING,
        verb=Verb.DELETE,
        rank=10,
        summary="unmap a volume from a host (the host loses access)",
        params=(Param("volume", str), Param("host", str)),
        args=(ref(K.VOLUME, "volume"), ref(K.HOST, "host")),
        target=_MAPPING,
        needs=fixed(C.MASKING),
        risk=always(Risk.DISRUPTIVE),
        settled=gone(_MAPPING),
    ),
)
