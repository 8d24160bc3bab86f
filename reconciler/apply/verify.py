"""Verification after executing: one observe per array, each action's effect checked.

The rule is the same for manifest applies and saved plans: for each object the plan changed,
the last action on it decides, and its catalogue entry says when it is settled (a created
volume exists, a grown one has its size, an unmapped volume is no longer mapped, an export has
exactly its options).  Arrays that settle slowly get a few more observes, a delay apart.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..plan.view import ArrayView

if TYPE_CHECKING:
    from ..plan.actions import Action
    from ..session import Session

__all__ = ["unsettled", "verify"]


def unsettled(actions: Sequence[Action], view: ArrayView) -> list[str]:
    """Ids of the actions whose effect the view does not show (the last action on each
    object decides)."""
    last: dict[str, Action] = {}
    for action in actions:
        last[str(action.key)] = action
    return [a.id for a in last.values() if not a.op.settled(a.params, view.lookup)]


def verify(
    arrays: Sequence[tuple[Session, str, Sequence[Action]]],
    *,
    retries: int = 3,
    delay: float = 1.0,
) -> list[str]:
    """Ids of the actions still unsettled after ``retries`` extra observes ``delay`` apart;
    ``arrays`` are (session, system id, the actions that ran on it)."""
    pending: list[tuple[Session, str, Sequence[Action]]] = [e for e in arrays if e[2]]
    remaining: list[str] = []
    for attempt in range(retries + 1):
        remaining = []
        still: list[tuple[Session, str, Sequence[Action]]] = []
        for session, system_id, actions in pending:
            left = unsettled(actions, ArrayView(session.observe(), system_id))
            if left:
                remaining += left
                still.append((session, system_id, [a for a in actions if a.id in set(left)]))
        if not remaining or attempt == retries:
            break
        pending = still
        time.sleep(delay)
    return remaining
