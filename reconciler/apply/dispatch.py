"""Turning one plan action into one Session call, through its catalogue entry.

Actions name objects; providers want ids.  The plan's :class:`~storplan.plan.view.ArrayView`
resolves names to ids, starting from the observed state and updated with every result, so an
action can use what an earlier action of the same apply created.  The job is submitted first
and waited for apart, so that its id is known (and journalled) while it runs, and the wait
stops at once when the apply is interrupted.  Thread-safe: the executor runs actions in
parallel.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..jobs import wait_for_job

if TYPE_CHECKING:
    from ..model.job import Job
    from ..plan.actions import Action
    from ..plan.view import ArrayView
    from ..session import Session

__all__ = ["dispatch"]


def dispatch(
    session: Session,
    view: ArrayView,
    action: Action,
    *,
    timeout: float | None,
    cancel: threading.Event | None = None,
    submitted: Callable[[Job[Any]], None] | None = None,
) -> Job[Any]:
    """Run one action through the session and teach the view its result; ``submitted`` is
    told about a job that is still running when the provider returns it."""
    op, params = action.op, action.params
    target = op.target(params)
    previous = op.previous(params) if op.previous is not None else None
    live = view.current(previous or target)
    job = session.run(op, params, resolve=view.resolve, live=live, wait=False)
    if not job.done and submitted is not None:
        submitted(job)
    job = wait_for_job(session.provider, job, timeout=timeout, cancel=cancel)
    view.learn(op.learn, target, job.result, previous)
    return job
