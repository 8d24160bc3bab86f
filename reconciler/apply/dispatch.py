"""Turning one plan action into one Session call, through its catalogue entry.

Actions name objects; providers want ids.  The plan's :class:`~storplan.plan.view.ArrayView`
resolves names to ids, starting from the observed state and updated with every result, so an
action can use what an earlier action of the same apply created.  Thread-safe: the executor
runs actions in parallel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..model.job import Job
    from ..plan.actions import Action
    from ..plan.view import ArrayView
    from ..session import Session, WaitOptions

__all__ = ["dispatch"]


def dispatch(session: Session, view: ArrayView, action: Action, options: WaitOptions) -> Job[Any]:
    """Run one action through the session and teach the view its result."""
    op, params = action.op, action.params
    target = op.target(params)
    previous = op.previous(params) if op.previous is not None else None
    live = view.current(previous or target)
    job = session.run(op, params, resolve=view.resolve, live=live, **options)
    view.learn(op.learn, target, job.result, previous)
    return job
