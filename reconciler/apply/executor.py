"""Executing the actions of one array: bounded parallelism, journal, ownership, failures.

An action starts once every action it requires has succeeded; at most ``parallelism`` run at
once.  When one fails, everything that depends on it (directly or not) is not attempted, while
independent actions still run.  Every step is journalled before and after it runs, and objects
are recorded as owned *before* they are created, so a process killed at any point leaves an
accurate record: at worst an owned record for something that was never made (harmless).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import StorplanError
from .dispatch import Resolver, dispatch

if TYPE_CHECKING:
    from ..plan.actions import Action
    from ..session import Session
    from ..statestore import StateStore

__all__ = ["DONE", "FAILED", "NOT_ATTEMPTED", "Executor", "Progress", "StepResult"]

DONE, FAILED, NOT_ATTEMPTED = "done", "failed", "not attempted"
_OWNED_KINDS = {"pool", "host", "volume", "replica", "snapshot", "filesystem", "fs_snapshot"}

Progress = Callable[[str, "Action", "StepResult | None"], None]
"""Called with ("start", action, None) and ("end", action, result)."""


@dataclass(frozen=True, slots=True)
class StepResult:
    action_id: str
    state: str
    message: str = ""
    seconds: float = 0.0


def ownership_key(action: Action) -> str | None:
    """The ownership record a create or delete action concerns, if any."""
    if action.kind not in _OWNED_KINDS or action.verb == "update":
        return None
    kind = "volume" if action.kind == "replica" else action.kind
    return f"{kind}:{action.target}"


class Executor:
    """Runs the actions of one array through one session."""

    def __init__(
        self,
        session: Session,
        resolver: Resolver,
        store: StateStore,
        apply_id: str,
        array_key: str,
        *,
        parallelism: int = 8,
        timeout: float = 3600.0,
        progress: Progress | None = None,
    ) -> None:
        self.session = session
        self.resolver = resolver
        self.store = store
        self.apply_id = apply_id
        self.array_key = array_key
        self.parallelism = max(1, parallelism)
        self.timeout = timeout
        self.progress = progress

    def _step(self, action: Action) -> StepResult:
        started = time.monotonic()
        self.store.journal(self.apply_id, action.id, "started")
        if self.progress:
            self.progress("start", action, None)
        key = ownership_key(action)
        if key is not None and action.verb == "create":
            self.store.record_owned(self.array_key, key)
        try:
            dispatch(self.session, self.resolver, action, {"timeout": self.timeout})
        except StorplanError as exc:
            result = StepResult(action.id, FAILED, f"{exc.code}: {exc}", time.monotonic() - started)
        else:
            if key is not None and action.verb == "delete":
                self.store.forget_owned(self.array_key, key)
            if action.operation == "rename_volume":
                self._move_ownership(action)
            result = StepResult(action.id, DONE, "", time.monotonic() - started)
        self.store.journal(self.apply_id, action.id, result.state, result.message)
        if self.progress:
            self.progress("end", action, result)
        return result

    def _move_ownership(self, action: Action) -> None:
        old, new = f"volume:{action.params['volume']}", f"volume:{action.params['name']}"
        owned = self.store.owned(self.array_key)
        if old in owned:
            self.store.record_owned(self.array_key, new, owned[old])
            self.store.forget_owned(self.array_key, old)

    def run(self, actions: list[Action]) -> list[StepResult]:
        """Run ``actions`` (in plan order); returns one result per action, in that order."""
        ids = {a.id for a in actions}
        results: dict[str, StepResult] = {}
        pending = list(actions)
        running: dict[Future[StepResult], str] = {}
        with ThreadPoolExecutor(
            max_workers=self.parallelism, thread_name_prefix="storplan-apply"
        ) as pool:
            try:
                while pending or running:
                    still: list[Action] = []
                    for action in pending:
                        needs = [r for r in action.requires if r in ids]
                        broken = [r for r in needs if r in results and results[r].state != DONE]
                        if broken:
                            results[action.id] = StepResult(
                                action.id, NOT_ATTEMPTED, f"{broken[0]} did not succeed"
                            )
                            self.store.journal(
                                self.apply_id, action.id, NOT_ATTEMPTED, results[action.id].message
                            )
                        elif all(r in results for r in needs) and len(running) < self.parallelism:
                            running[pool.submit(self._step, action)] = action.id
                        else:
                            still.append(action)
                    pending = still
                    if not running:
                        if pending:  # nothing runs and nothing can start: a planner bug
                            raise StorplanError(
                                f"actions wait for each other: {[a.id for a in pending]}"
                            )
                        break
                    finished, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in finished:
                        results[running.pop(future)] = future.result()
            except KeyboardInterrupt:
                for future in running:
                    future.cancel()
                raise
        return [results[a.id] for a in actions]


def summarize(results: list[StepResult]) -> dict[str, Any]:
    """Counts of done / failed / not attempted."""
    return {
        state: sum(1 for r in results if r.state == state)
        for state in (DONE, FAILED, NOT_ATTEMPTED)
    }
