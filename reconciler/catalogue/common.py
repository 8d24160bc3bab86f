"""Builders the catalogue entries share: arguments, needs, and whole entries of the operations
that differ only in their object (simple deletions, the snapshot family)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..identifiers import InitiatorKind, initiator_kind
from ..keys import ObjectKind
from ..model.enums import Capability
from . import checks
from .base import (
    Arg,
    ArgKind,
    Learn,
    Needs,
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

__all__ = [
    "INITIATOR_CAPABILITY",
    "REPLICA_CAPABILITY",
    "deletion",
    "initiator_needs",
    "ref",
    "snapshot_family",
    "value",
]

NONE = type(None)

INITIATOR_CAPABILITY = {
    InitiatorKind.ISCSI: Capability.INITIATOR_ISCSI,
    InitiatorKind.FC: Capability.INITIATOR_FC,
    InitiatorKind.NVME: Capability.INITIATOR_NVME,
}
"""The capability a host needs for initiators of each transport."""

REPLICA_CAPABILITY = {
    "clone": Capability.CLONES,
    "copy": Capability.COPIES,
    "mirror_sync": Capability.MIRROR_SYNC,
    "mirror_async": Capability.MIRROR_ASYNC,
}
"""The capability each kind of replica needs."""


def ref(kind: ObjectKind, *params: str, optional: bool = False) -> Arg:
    """The id of the object of ``kind`` the named parameters identify."""
    return Arg(ArgKind.REF, params, kind, optional)


def value(param: str) -> Arg:
    """A parameter passed as it is."""
    return Arg(ArgKind.VALUE, (param,))


def initiator_needs(params: Params, _live: Any) -> Iterable[Capability]:
    """Hosts, and the transport of every initiator the action adds."""
    yield Capability.ACCESS_GROUPS
    wanted = params["initiators"] if "initiators" in params else [params["initiator"]]
    yield from sorted({INITIATOR_CAPABILITY[initiator_kind(i)] for i in wanted})


def deletion(
    name: str,
    kind: ObjectKind,
    rank: int,
    summary: str,
    param: str,
    needs: Capability | Needs,
    risk: Risk,
    *,
    owns: bool = True,
) -> Operation:
    """The entry of an operation deleting one object named by one parameter (``needs``: one
    capability, or a function of the parameters and the live object)."""
    target = key_of(kind, param)
    return Operation(
        name=name,
        kind=kind,
        verb=Verb.DELETE,
        rank=rank,
        summary=summary,
        params=(Param(param, str),),
        args=(ref(kind, param),),
        target=target,
        needs=fixed(needs) if isinstance(needs, Capability) else needs,
        risk=always(risk),
        settled=gone(target),
        learn=Learn.FORGET,
        owns=owns,
    )


def snapshot_family(
    kind: ObjectKind,
    owner_kind: ObjectKind,
    owner: str,
    prefix: str,
    ranks: tuple[int, int, int],
    capabilities: tuple[Capability, Capability],
    lost: str,
) -> tuple[Operation, Operation, Operation]:
    """Create, delete and restore of the snapshots of a volume or a file system (``owner``
    is the owner's parameter, ``prefix`` the operations' suffix, ``lost`` what a restore
    loses)."""
    target = key_of(kind, owner, "snapshot")
    params = (Param(owner, str), Param("snapshot", str))
    snapshots, restores = capabilities
    label = owner_kind.label
    return (
        Operation(
            name=f"create_{prefix}",
            kind=kind,
            verb=Verb.CREATE,
            rank=ranks[0],
            summary=f"snapshot a {label}",
            params=params,
            args=(ref(owner_kind, owner), value("snapshot")),
            target=target,
            needs=fixed(snapshots),
            risk=always(Risk.SAFE),
            settled=exists(target),
            learn=Learn.RESULT,
            limit_checks=checks.name_allowed("snapshot", "snapshot"),
            owns=True,
        ),
        Operation(
            name=f"delete_{prefix}",
            kind=kind,
            verb=Verb.DELETE,
            rank=ranks[1],
            summary=f"delete a {label} snapshot",
            params=params,
            args=(ref(kind, owner, "snapshot"),),
            target=target,
            needs=fixed(snapshots),
            risk=always(Risk.DESTRUCTIVE),
            settled=gone(target),
            learn=Learn.FORGET,
            owns=True,
        ),
        Operation(
            name=f"restore_{prefix}",
            kind=kind,
            verb=Verb.UPDATE,
            rank=ranks[2],
            summary=f"roll a {label} back to a snapshot ({lost} since are lost)",
            params=params,
            args=(ref(kind, owner, "snapshot"),),
            target=target,
            needs=fixed(restores),
            risk=always(Risk.DESTRUCTIVE),
            settled=exists(target),
        ),
    )
