"""Ordering actions: a topological sort of the ``requires`` edges with deterministic ties.

Among actions that are ready at the same time, the one whose operation has the lower
catalogue rank goes first (access is taken away before objects are deleted, objects are
created before they are mapped), then the one with the smaller id.  The same actions
therefore always come out in the same order, whatever order they were produced in.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from ..errors import StorplanError
from .actions import Action

__all__ = ["order_actions"]


def order_actions(actions: Iterable[Action]) -> list[Action]:
    """The actions in an order that respects every edge.

    Raises:
        StorplanError: the edges form a cycle (a planner bug; reported, never guessed around).
    """
    by_id = {a.id: a for a in actions}
    waiting = {a.id: {r for r in a.requires if r in by_id} for a in by_id.values()}
    dependents: dict[str, list[str]] = {}
    for action_id, requires in waiting.items():
        for required in requires:
            dependents.setdefault(required, []).append(action_id)
    ready = [(by_id[i].op.rank, i) for i, r in waiting.items() if not r]
    heapq.heapify(ready)
    ordered: list[Action] = []
    while ready:
        _, action_id = heapq.heappop(ready)
        ordered.append(by_id[action_id])
        for dependent in dependents.get(action_id, ()):
            waiting[dependent].discard(action_id)
            if not waiting[dependent]:
                heapq.heappush(ready, (by_id[dependent].op.rank, dependent))
    if len(ordered) != len(by_id):
        stuck = sorted(set(by_id) - {a.id for a in ordered})
        raise StorplanError(
            f"the plan's actions depend on each other in a cycle: {stuck}",
            hint="this is a bug in storplan's planner; please report it",
        )
    return ordered
