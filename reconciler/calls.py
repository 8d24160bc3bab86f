"""Provider arguments from an operation's parameters, as its catalogue entry describes them.

One builder serves the Session (whose callers pass ids and model values) and apply (whose
plans name objects and reference secrets): references become ids through a resolver,
initiator identifiers become :class:`~storplan.model.Initiator`, CHAP users and secret
references become :class:`~storplan.model.ChapCredentials` (secrets are read only here, at
the moment of the call), export options become :class:`~storplan.model.ExportOptions`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .catalogue import Arg, ArgKind, Operation, Params

if TYPE_CHECKING:
    from .credentials import Secret

__all__ = ["provider_args"]

Resolve = Callable[[Arg, Params], Any]


def provider_args(op: Operation, params: Params, resolve: Resolve) -> tuple[Any, ...]:
    """The positional arguments of ``op``'s provider method."""
    return tuple(_arg(arg, params, resolve) for arg in op.args)


def _arg(arg: Arg, params: Params, resolve: Resolve) -> Any:
    from .model.block import Initiator
    from .model.enums import ReplicaKind
    from .model.nas import ExportOptions

    how = arg.how
    if how in (ArgKind.SYSTEM, ArgKind.REF, ArgKind.DISKS):
        if arg.optional and any(params.get(p) is None for p in arg.params):
            return None
        return resolve(arg, params)
    if how is ArgKind.VALUE:
        return params[arg.params[0]]
    if how is ArgKind.INITIATOR:
        value = params[arg.params[0]]
        return value if isinstance(value, Initiator) else Initiator.parse(value)
    if how is ArgKind.INITIATORS:
        parsed = {
            i if isinstance(i, Initiator) else Initiator.parse(i) for i in params[arg.params[0]]
        }
        return sorted(parsed)
    if how is ArgKind.CHAP:
        return _chap(params)
    if how is ArgKind.REPLICA_KIND:  # the contract's type, whatever the plan file held
        return ReplicaKind(params[arg.params[0]])
    return ExportOptions.from_dict({name: params[name] for name in arg.params if name in params})


def _chap(params: Params) -> Any:
    from .model.block import ChapCredentials

    if params.get("user") is None:
        return None
    mutual = params.get("mutual_user")
    return ChapCredentials(
        params["user"],
        _secret(params["secret"], "CHAP secret"),
        mutual,
        _secret(params["mutual_secret"], "mutual CHAP secret") if mutual else None,
    )


def _secret(value: Any, label: str) -> Secret:
    from .credentials import Secret, SecretRef

    if isinstance(value, Secret):
        return value
    return SecretRef.from_dict(value).read(label)
