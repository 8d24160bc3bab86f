"""The operation catalogue: one entry per provider operation, the home of what it means.

Every part of storplan that deals with operations reads this catalogue instead of keeping a
table of its own: the Session's capability gate, ``validate``'s capability and limit checks,
the planner (risk, verb, ordering rank, capability and preflight checks), apply (how to call
the provider, how to learn the result, how to verify it), the saved-plan reader (parameter
shapes), the CLI's imperative commands (help, confirmation) and the conformance kit.  Adding
an operation is one entry here, its method in the provider contract, and the providers' code.

The catalogue sits just above the model: it imports only :mod:`storplan.model`, the key
grammar and the errors.
"""

from __future__ import annotations

from .base import (
    Arg,
    ArgKind,
    Check,
    Context,
    Finding,
    Learn,
    Operation,
    Param,
    Params,
    Risk,
    Verb,
)
from .common import INITIATOR_CAPABILITY, REPLICA_CAPABILITY
from .masking import MASKING_OPERATIONS
from .nas import NAS_OPERATIONS, export_needs, export_risk
from .volumes import VOLUME_OPERATIONS

__all__ = [
    "INITIATOR_CAPABILITY",
    "OPERATIONS",
    "REPLICA_CAPABILITY",
    "Arg",
    "ArgKind",
    "Check",
    "Context",
    "Finding",
    "Learn",
    "Operation",
    "Param",
    "Params",
    "Risk",
    "Verb",
    "export_needs",
    "export_risk",
    "operation",
]

OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in sorted(
        (*VOLUME_OPERATIONS, *MASKING_OPERATIONS, *NAS_OPERATIONS), key=lambda o: o.rank
    )
}
"""Every operation by name, in ordering rank."""


def operation(name: str) -> Operation:
    """The catalogue entry called ``name``.

    Raises:
        InvalidArgument: no operation has that name (e.g. in a hand-edited saved plan).
    """
    found = OPERATIONS.get(name) if isinstance(name, str) else None
    if found is None:
        from ..errors import InvalidArgument

        raise InvalidArgument(
            f"unknown operation {name!r}",
            hint=f"storplan knows: {', '.join(sorted(OPERATIONS))}",
        )
    return found
