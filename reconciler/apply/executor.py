"""Executing the actions of one array: bounded parallelism, journal, ownership, failures.

An action starts once every action it requires has succeeded; at most ``parallelism`` run at
once.  When one fails, everything that depends on it (directly or not) is not attempted, while
independent actions still run.  Every step is journalled before and after it runs, so a
process killed at any point leaves an accurate record of what was in flight.

Ownership is recorded in the same transaction as a create's success, never before: an object
whose create failed (perhaps because someone else's object has that name) is never owned, so
pruning can never delete it; a process killed between the create and that record leaves an
object storplan manages but will not prune, which is the safe side.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import StorplanError
from ..keys import Key, ObjectKind
from .dispatch import dispatch

if TYPE_CHECKING:
    from ..plan.actions import Action
    from ..plan.view import ArrayView
    from ..session import Session
    from ..statestore import StateStore

__all__ = ["DONE", "FAILED", "NOT_ATTEMPTED", "Executor", "Progress", "StepResult"]

DONE, FAILED, NOT_ATTEMPTED = "done", "failed", "not attempted"

Progress = Callable[[str, "Action", "StepResult | None"], None]
"""Called with ("start", action, None) and ("end", action, result)."""


@dataclass(frozen=True, slots=True)
class StepResult:
    action_id: str
    state: str
    message: str = ""
    seconds: float = 0.0


def ownership_key(action: Action) -> str | None:
    """The ownership record a create or delete action concerns, if any (a replica's is its
    target volume's)."""
    if not action.op.owns:
        return None
    key = action.key
    if key.kind is ObjectKind.REPLICA:
        key = Key.of(ObjectKind.VOLUME, key.name)
    return str(key)


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
    ) -> None:
        self.session = session
        self.view = view
        self.store = store
        self.apply_id = apply_id
        self.array_key = array_key
        self.parallelism = max(1, parallelism)
        self.timeout = timeout
        self.progress = progress

    def _step(self, action: Action) -> StepResult:
        started = time.monotonic()
        key = ownership_key(action)
        owned: tuple[str, str] | None = None
        self.store.journal(self.apply_id, action.id, "started")
        try:
            dispatch(self.session, self.view, action, {"timeout": self.timeout})
        except StorplanError as exc:
            result = StepResult(action.id, FAILED, f"{exc.code}: {exc}", time.monotonic() - started)
        else:
            if key is not None and action.verb == "delete":
                self.store.forget_owned(self.array_key, key)
            if key is not None and action.verb == "create":
                owned = (self.array_key, key)
            if action.operation == "rename_volume":
                self._move_ownership(action)
            result = StepResult(action.id, DONE, "", time.monotonic() - started)
        self.store.journal(self.apply_id, action.id, result.state, result.message, owned=owned)
        return result

    def _move_ownership(self, action: Action) -> None:
        old = str(Key.of(ObjectKind.VOLUME, action.params["volume"]))
        new = str(Key.of(ObjectKind.VOLUME, action.params["name"]))
        owned = self.store.owned(self.array_key)
        if old in owned:
            self.store.record_owned(self.array_key, new, owned[old])
            self.store.forget_owned(self.array_key, old)

    def run(self, actions: list[Action]) -> list[StepResult]:
        """Run ``actions`` (in plan order); returns one result per action, in that order."""
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
            self.store.journal(self.apply_id, action_id, NOT_ATTEMPTED, results[action_id].message)
            if self.progress:
                self.progress("end", by_id[action_id], results[action_id])
            for dependent in dependents.get(action_id, ()):
                skip(dependent, cause)

        def settle(result: StepResult) -> None:  # on the main thread: progress is serial
            results[result.action_id] = result
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
        with ThreadPoolExecutor(
            max_workers=self.parallelism, thread_name_prefix="storplan-apply"
        ) as pool:
            try:
                while ready or running:
                    while ready and len(running) < self.parallelism:
                        _, action_id = heapq.heappop(ready)
                        if action_id not in results:
                            if self.progress:
                                self.progress("start", by_id[action_id], None)
                            running[pool.submit(self._step, by_id[action_id])] = action_id
                    if not running:
                        break
                    finished, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in finished:
                        running.pop(future)
                        settle(future.result())
            except KeyboardInterrupt:
                for future in running:
                    future.cancel()
                raise
        missing = [a.id for a in actions if a.id not in results]
        if missing:  # requirements that can never be met: a planner bug, reported loudly
            raise StorplanError(
                f"actions wait for each other: {missing}",
                hint="this is a bug in storplan; please report it",
            )
        return [results[a.id] for a in actions]


def summarize(results: list[StepResult]) -> dict[str, Any]:
    """Counts of done / failed / not attempted."""
    return {
        state: sum(1 for r in results if r.state == state)
        for state in (DONE, FAILED, NOT_ATTEMPTED)
    }
