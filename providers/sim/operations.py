"""The simulator's operation registry and the helpers operations share.

An operation is a function ``(tx, args) -> result key`` registered with :func:`operation`.
It runs inside one write transaction, so it either changes everything it should or nothing.
``args`` is a JSON-ready dict (it is stored with asynchronous jobs and replayed when they
finish); the result key names the object the operation created or changed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from storplan.errors import AlreadyExists, CapacityExceeded, InvalidArgument
from storplan.model import Kind, Size
from storplan.providers.kit.conflicts import differences as kit_differences

from .db import Tx, parse_id

__all__ = ["OPERATIONS", "Args", "Result", "conflict", "now", "operation", "operations", "reserve"]

Args = dict[str, Any]
Result = tuple[Kind, tuple[int, ...]] | None
Operation = Callable[[Tx, Args], Result]
OPERATIONS: dict[str, Operation] = {}


def operations() -> dict[str, Operation]:
    """Every registered operation (the operation modules are imported on first use, so that
    read-only commands never load them)."""
    if not OPERATIONS:
        from . import ops_copies, ops_masking, ops_nas, ops_volumes  # noqa: F401

    return OPERATIONS


def operation(fn: Operation) -> Operation:
    """Register ``fn`` under its own name (which is the provider method's name)."""
    OPERATIONS[fn.__name__] = fn
    return fn


def now() -> str:
    """The current time as an ISO-8601 UTC timestamp."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


# The idempotent-create rule comes from the provider kit.
conflict = AlreadyExists.conflict
differences = kit_differences


def pool_row(tx: Tx, pool_ref: str, element_type: str) -> Any:
    """The pool behind ``pool_ref``; refuses pools that cannot hold ``element_type``."""
    row = tx.require(
        "pools",
        pool_ref,
        "id, system_id, name, element_types, total, consumed, subscribed, oversub",
    )
    if element_type not in row[3].split(","):
        raise InvalidArgument(
            f"pool {row[2]!r} cannot hold {element_type}s",
            hint=f"choose a pool whose element types include {element_type}",
        )
    return row


def reserve(tx: Tx, pool_id: int, consumed: int, subscribed: int, thin: bool) -> None:
    """Account for space taken (positive) or released (negative) in a pool, like an array would:
    thick allocations must fit the free space, thin ones the over-subscription limit."""
    name, total, used, promised, oversub = tx.one(
        "SELECT name, total, consumed, subscribed, oversub FROM pools WHERE id = ?", pool_id
    )
    if thin and subscribed > 0:
        if oversub is None:
            raise InvalidArgument(
                f"pool {name!r} cannot hold thin volumes",
                hint="create the volume thick, or use a thin-capable pool",
            )
        if promised + subscribed > total * oversub:
            raise CapacityExceeded(
                f"pool {name!r} would be over-subscribed: {Size(promised + subscribed).human()} "
                f"promised, limit {oversub:g} x {Size(total).human()}",
                hint="use a smaller size or another pool",
            )
    if consumed > 0 and used + consumed > total:
        raise CapacityExceeded(
            f"pool {name!r} has {Size(total - used).human()} free, "
            f"{Size(consumed).human()} requested",
            hint="use a smaller size, a thin volume or another pool",
        )
    tx.run(
        "UPDATE pools SET consumed = consumed + ?, subscribed = subscribed + ? WHERE id = ?",
        consumed,
        subscribed,
        pool_id,
    )


def system_of(tx: Tx, table: str, ref: str) -> int:
    """The system row id an object belongs to."""
    row: Any = tx.require(table, ref, "system_id")
    return int(row[0])


def same_system(kind_a: str, a: int, kind_b: str, b: int) -> None:
    """Refuse to relate objects of two different systems."""
    if a != b:
        raise InvalidArgument(
            f"the {kind_a} and the {kind_b} are on different systems",
            hint="objects can only be related within one system",
        )


def rowid(table: str, ref: str) -> int:
    """Shorthand for :func:`storplan.providers.sim.db.parse_id`."""
    return parse_id(table, ref)
