"""Executing the actions of one array: bounded parallelism, journal, ownership, failures.

An action starts once every action it requires has succeeded; at most ``parallelism`` run at
once.  When one fails, everything that depends on it (directly or not) is not attempted, while
independent actions still run.  Errors the provider marks transient are retried (three times,
with backoff) and the retries reported.

Every step is journalled: ``started`` (with the key the action would own), ``submitted`` (with
the array's job id, when the job outlives the call), then its outcome.  Ownership is written in
the same transaction as the outcome, never before: an object whose create failed (perhaps
someone else's object by that name) is never owned, so pruning can never delete it; a process
killed between the array's change and that step leaves a ``started`` step the next apply
reconciles with the live state.

A journal that cannot be written (the database went away, or this apply lost its lock and
is fenced off) starts nothing more: each action not yet started fails without touching the
array, and an action that finished says in its result that its outcome was not journalled.

Interrupting (Ctrl-C, SIGTERM): every wait stops at once, the actions still running are
journalled ``interrupted`` with their job ids, and :class:`KeyboardInterrupt` propagates.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import Interrupted, StorplanError, TransientError
from ..keys import Key, ObjectKind
from ..state import Ownership
from .dispatch import dispatch

if TYPE_CHECKING:
    from ..model.job import Job
    from ..plan.actions import Action
    from ..plan.view import ArrayView
    from ..session import Session
    from ..state import StateStore

__all__ = [
    "DONE",
    "FAILED",
    "INTERRUPTED",
    "NOT_ATTEMPTED",
    "Executor",
    "Progress",
    "StepResult",
    "summarize",
]

DONE, FAILED, NOT_ATTEMPTED, INTERRUPTED = "done", "failed", "not attempted", "interrupted"
RETRIES = (0.5, 1.0, 2.0)
"""Seconds to wait before each retry of a transient failure."""
_CANCEL_POLL = 0.2
"""Seconds between looks at the cancel event while actions run (another array's thread may
have been interrupted)."""

Progress = Callable[[str, "Action", "StepResult | None"], None]
"""Called with ("start", action, None) and ("end", action, result)."""


@dataclass(frozen=True, slots=True)
class StepResult:
    """An action's outcome: its state, the error or note, the time it took, and the array's
    job id when the job outlived the call."""

    action_id: str
    state: str
    message: str = ""
    seconds: float = 0.0
    job_id: str = ""


def ownership_key(action: Action) -> str | None:
    """The ownership record a create or delete action concerns, if any (a replica's is its
    target volume's)."""
    if not action.op.owns:
        return None
    key = action.key
    if key.kind is ObjectKind.REPLICA:
        key = Key.of(ObjectKind.VOLUME, key.name)
    return str(key)


def _ownership(action: Action) -> Ownership | None:
    """The ownership change a successful action makes."""
    if action.operation == "rename_volume":
        old = str(Key.of(ObjectKind.VOLUME, action.params["volume"]))
        return Ownership("rename", old, str(Key.of(ObjectKind.VOLUME, action.params["name"])))
    key = ownership_key(action)
    if key is None:
        return None
    return Ownership("forget" if action.is_delete else "add", key)


class Executor:
    """Runs the actions of one array through one session."""

    def __init__(
        self,
        session: Session,
        view: ArrayView,
        store: StateStore,
        apply_id: str,
        array_key: str,
        *,
        parallelism: int = 8,
        timeout: float = 3600.0,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
        after_success: Callable[[Action], None] | None = None,
    ) -> None:
        self.session = session
        self.view = view
        self.store = store
        self.apply_id = apply_id
        self.array_key = array_key
        self.parallelism = max(1, parallelism)
        self.timeout = timeout
        self.progress = progress
        self.cancel = cancel or threading.Event()
        self.after_success = after_success
        self._jobs: dict[str, str] = {}  # action id -> running job id
        self._stop_lock = threading.Lock()
        self._stopped_ids: set[str] = set()
        self.settled: list[StepResult] = []
        """Every outcome so far, in the order they came (what an interrupted run leaves)."""

    def _journal(self, action_id: str, state: str, message: str = "", **extra: Any) -> None:
        self.store.step(self.apply_id, action_id, state, message, array_key=self.array_key, **extra)

    def _step(self, action: Action) -> StepResult:
        started = time.monotonic()
        try:
            self._journal(action.id, "started", owns=ownership_key(action) or "")
        except StorplanError as exc:  # the store is gone or this apply lost its lock
            message = f"{exc.code}: not started, the journal could not be written: {exc}"
            return StepResult(action.id, FAILED, message, time.monotonic() - started)

        def submitted(job: Job[Any]) -> None:
            self._jobs[action.id] = job.id
            with suppress(StorplanError):  # the outcome's step reports the journal's failure
                self._journal(action.id, "submitted", f"job {job.id}")

        retried = 0
        while True:
            try:
                dispatch(
                    self.session,
                    self.view,
                    action,
                    timeout=self.timeout,
                    cancel=self.cancel,
                    submitted=submitted,
                )
            except Interrupted as exc:
                job = exc.job_id or self._jobs.get(action.id, "")
                where = f"; job {job} may still be running on the array" if job else ""
                return self._stopped(action.id, f"{exc.message}{where}", job)
            except TransientError as exc:
                if retried < len(RETRIES) and not self.cancel.wait(RETRIES[retried]):
                    retried += 1
                    continue
                return self._settle(
                    action, FAILED, f"{exc.code}: {exc} (retried {retried}x)", started
                )
            except StorplanError as exc:
                return self._settle(action, FAILED, f"{exc.code}: {exc}", started)
            note = f"succeeded after {retried} retries of a transient failure" if retried else ""
            return self._settle(action, DONE, note, started)

    def _stopped(self, action_id: str, message: str, job: str) -> StepResult:
        """Journal an interrupted action once (its own wait and :meth:`_interrupt` may both
        see it stop)."""
        result = StepResult(action_id, INTERRUPTED, message, 0.0, job)
        with self._stop_lock:
            if action_id in self._stopped_ids:
                return result
            self._stopped_ids.add(action_id)
        # an unwritable journal is the caller's to report, with the apply's own error
        with suppress(StorplanError):
            self._journal(action_id, INTERRUPTED, message)
        return result

    def _settle(self, action: Action, state: str, message: str, started: float) -> StepResult:
        """Journal an outcome with its ownership change.  When the journal cannot be written
        the result still tells the truth about the array (and says what was not recorded)."""
        ownership = _ownership(action) if state == DONE else None
        try:
            self._journal(action.id, state, message, ownership=ownership)
            if state == DONE and self.after_success is not None:
                self.after_success(action)
        except StorplanError as exc:
            lost = "; its ownership was not recorded" if ownership else ""
            message = f"{message}; not journalled ({exc.code}: {exc}){lost}".lstrip("; ")
        job = self._jobs.pop(action.id, "")
        return StepResult(action.id, state, message, time.monotonic() - started, job)

    def run(self, actions: list[Action]) -> list[StepResult]:
        """Run ``actions`` (in plan order); returns one result per action, in that order.

        Raises:
            KeyboardInterrupt: interrupted; running actions were journalled ``interrupted``.
            Interrupted: ``cancel`` was set (by the thread that was interrupted); likewise.
        """
        position = {a.id: i for i, a in enumerate(actions)}
        by_id = {a.id: a for a in actions}
        unmet = {a.id: {r for r in a.requires if r in by_id} for a in actions}
        dependents: dict[str, list[str]] = {}
        for action_id, requires in unmet.items():
            for required in requires:
                dependents.setdefault(required, []).append(action_id)
        ready = [(position[i], i) for i, r in unmet.items() if not r]
        heapq.heapify(ready)
        results: dict[str, StepResult] = {}

        def skip(action_id: str, cause: str) -> None:
            if action_id in results:
                return
            results[action_id] = StepResult(action_id, NOT_ATTEMPTED, f"{cause} did not succeed")
            self.settled.append(results[action_id])
            with suppress(StorplanError):  # the failure it follows says why
                self._journal(action_id, NOT_ATTEMPTED, results[action_id].message)
            if self.progress:
                self.progress("end", by_id[action_id], results[action_id])
            for dependent in dependents.get(action_id, ()):
                skip(dependent, cause)

        def settle(result: StepResult) -> None:  # on the main thread: progress is serial
            results[result.action_id] = result
            self.settled.append(result)
            if self.progress:
                self.progress("end", by_id[result.action_id], result)
            for dependent in dependents.get(result.action_id, ()):
                if result.state != DONE:
                    skip(dependent, result.action_id)
                    continue
                unmet[dependent].discard(result.action_id)
                if not unmet[dependent] and dependent not in results:
                    heapq.heappush(ready, (position[dependent], dependent))

        running: dict[Future[StepResult], str] = {}
        pool = ThreadPoolExecutor(max_workers=self.parallelism, thread_name_prefix="storplan")
        try:
            while ready or running:
                if self.cancel.is_set():  # another thread was interrupted: stop this array too
                    raise Interrupted("the apply was interrupted")
                while ready and len(running) < self.parallelism:
                    _, action_id = heapq.heappop(ready)
                    if action_id not in results:
                        if self.progress:
                            self.progress("start", by_id[action_id], None)
                        running[pool.submit(self._step, by_id[action_id])] = action_id
                if not running:
                    break
                finished, _ = wait(running, timeout=_CANCEL_POLL, return_when=FIRST_COMPLETED)
                for future in finished:
                    running.pop(future)
                    settle(future.result())
        except BaseException:
            self._interrupt(running)
            raise
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        missing = [a.id for a in actions if a.id not in results]
        if missing:  # requirements that can never be met: a planner bug, reported loudly
            raise StorplanError(
                f"actions wait for each other: {missing}",
                hint="this is a bug in storplan; please report it",
            )
        return [results[a.id] for a in actions]

    def _interrupt(self, running: dict[Future[StepResult], str]) -> None:
        """Stop every wait and journal what is still running on the array."""
        self.cancel.set()
        seen = {r.action_id for r in self.settled}
        for future, action_id in running.items():
            if future.cancel() or action_id in seen:
                continue  # never started, or already settled
            job = self._jobs.get(action_id, "")
            where = f"; job {job} may still be running on the array" if job else ""
            self.settled.append(self._stopped(action_id, f"interrupted while running{where}", job))


def summarize(results: list[StepResult]) -> dict[str, int]:
    """Counts of done / failed / not attempted / interrupted."""
    return {
        state: sum(1 for r in results if r.state == state)
        for state in (DONE, FAILED, NOT_ATTEMPTED, INTERRUPTED)
    }
