"""Shared building blocks of the model: spec/status fields, health, conditions, serialisation.

Every model class is a frozen, slotted dataclass.  Fields are either *spec* (what a user manages
and what a plan may change: names, sizes, thin/thick, initiators, LUNs, export options) or
*status* (what the array reports about itself: used capacity, health, WWNs, conditions).
Status fields are declared with :func:`status_field`; :func:`spec_of` returns only the spec part,
which is what diffs compare, so status can never be reported as drift.
"""

from __future__ import annotations

import dataclasses
from enum import Enum
from functools import cache
from typing import Any

__all__ = ["Condition", "spec_fields", "spec_of", "status_field", "to_dict"]

_STATUS = {"status": True}


def status_field(default: Any = None) -> Any:
    """Declare a status field: reported by the array, never compared as drift."""
    return dataclasses.field(default=default, metadata=_STATUS, compare=True)


@dataclasses.dataclass(frozen=True, slots=True)
class Condition:
    """A problem an array reported while observing, attached to the object it concerns.

    Observing is tolerant: one broken disk becomes a condition on that disk (or its system)
    instead of failing the whole listing.  ``code`` is stable and documented in the condition
    catalogue (docs/monitoring.md); providers set it, the core never parses ``message``.
    """

    code: str
    message: str
    severity: str = ""
    """``ok``, ``warning``, ``critical`` or ``unknown``; empty: the catalogue's default for
    the code (:mod:`storplan.monitoring.conditions`)."""
    since: str = ""
    """When the condition began (ISO 8601, UTC), if the array says."""
    percent: int | None = None
    """Progress of a condition that finishes by itself (a RAID rebuild, a resync)."""
    component: str = ""
    """The part of the object it concerns when that part is no object of its own (a fan, a
    battery, a cache module of a system)."""


@cache
def spec_fields(cls: type) -> tuple[str, ...]:
    """Names of the spec (non-status) fields of a model class, in declaration order."""
    return tuple(f.name for f in dataclasses.fields(cls) if not f.metadata.get("status"))


def spec_of(obj: Any) -> dict[str, Any]:
    """The spec part of a model object as a JSON-ready mapping (what diffs compare)."""
    cls: Any = type(obj)
    return {name: _plain(getattr(obj, name)) for name in spec_fields(cls)}


def to_dict(obj: Any) -> dict[str, Any]:
    """A model object as a JSON-ready mapping: every field, enums as values, sizes as bytes."""
    return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bool | str | float) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, tuple | list | frozenset | set):
        items = [_plain(v) for v in value]
        return items if isinstance(value, tuple | list) else sorted(items, key=str)
    if dataclasses.is_dataclass(value):
        return to_dict(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)
