"""Field-level differences of a matched pair of objects, for people reading a plan.

Objects are matched by identity first (never by list position); deepdiff then finds which
top-level fields of the matched pair differ, however deeply (lists of clients, security
flavours).  Each becomes one ``before → after`` change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .actions import Change

__all__ = ["field_changes"]


def field_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[Change, ...]:
    """One :class:`Change` per top-level field whose value differs, in ``after``'s order."""
    from deepdiff import DeepDiff  # only plans with updates pay for the import

    changed = set(DeepDiff(dict(before), dict(after)).affected_root_keys)
    return tuple(Change(key, before.get(key), after.get(key)) for key in after if key in changed)
