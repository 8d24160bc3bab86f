"""One array's part of an apply: its lock, what a dead apply left on it, its executor, its
verification.  :mod:`.run` runs these for every array at once."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import LockHeld, StorplanError
from ..plan.document import ArrayFailure
from ..plan.memory import secret_digest
from ..plan.planner import legacy_key, position
from ..plan.view import ArrayView
from .executor import DONE, Executor, StepResult
from .verify import verify

if TYPE_CHECKING:
    from ..model.state import State
    from ..plan.actions import Action
    from ..plan.document import ArrayRecord
    from ..plan.planner import Reachable
    from ..session import Session
    from ..state import Lock, StateStore
    from .run import ApplyOptions

__all__ = ["ArrayRun", "execute", "lock_all", "reconcile"]


@dataclass
class ArrayRun:
    """One array, ready to execute: its record, session, the view of its one observe, its
    actions; its executor once it runs (what an interrupted apply collects results from)."""

    record: ArrayRecord
    session: Session
    view: ArrayView
    actions: list[Action] = field(default_factory=list)
    executor: Executor | None = None

    @property
    def settled(self) -> list[StepResult]:
        return [] if self.executor is None else list(self.executor.settled)


def lock_all(
    store: StateStore,
    sessions: Mapping[str, Session],
    entries: Mapping[str, Reachable],
    options: ApplyOptions,
) -> tuple[list[Lock], list[ArrayFailure]]:
    """Take the lock of every array identity, one after another in one order for every apply
    (so two applies over overlapping fleets never deadlock); an identity another apply holds
    is a failure of its arrays, not of the apply."""
    names: dict[str, list[str]] = {}
    failures: list[ArrayFailure] = []
    for name, session in sessions.items():
        try:
            names.setdefault(session.provider.identity(), []).append(name)
        except StorplanError as exc:
            failures.append(_failure(entries[name], "connect", exc))
    taken: list[Lock] = []
    for identity in sorted(names):
        label = "array " + ", ".join(f"{n} ({sessions[n].uri})" for n in names[identity])
        try:
            taken.append(
                store.acquire(
                    identity, timeout=options.lock_timeout, command=options.command, label=label
                )
            )
        except LockHeld as exc:
            failures += [_failure(entries[n], "lock", exc) for n in names[identity]]
        except BaseException:
            for lock in taken:
                store.release(lock)
            raise
    return taken, failures


def _failure(entry: Reachable, stage: str, error: StorplanError) -> ArrayFailure:
    return ArrayFailure.of(entry.name, entry.provider, stage, error, position(entry))


def reconcile(
    name: str, system: str | None, session: Session, state: State, store: StateStore
) -> list[str]:
    """Adopt ownership an older store kept under the URI's text, and settle the creates of
    applies that died on this array (found on it: owned; else: not created)."""
    try:
        view = ArrayView(state, system)
    except StorplanError:
        return []  # the planner reports it, with its position
    notes = []
    key = f"{session.provider.identity()}#{view.system.id}"
    legacy = legacy_key(str(session.uri), view.system.id)
    moved = store.adopt_legacy(legacy, key)
    if moved:
        notes.append(
            f"array {name}: {moved} ownership record(s) an older storplan kept "
            f"under {legacy} now belong to the array's identity {key}"
        )
    owned = store.owned(key)
    for unfinished in store.unfinished_creates(key):
        if view.lookup(unfinished.key) is not None and unfinished.key not in owned:
            store.record_owned(key, unfinished.key)
            outcome = "found on the array after its apply died: recorded as owned"
        else:
            outcome = "not found on the array after its apply died"
        store.settle_unfinished(unfinished, outcome)
        notes.append(f"array {name}: {unfinished.key} {outcome}")
    return notes


def execute(
    run: ArrayRun,
    store: StateStore,
    apply_id: str,
    options: ApplyOptions,
    cancel: threading.Event,
) -> tuple[list[StepResult], list[str]]:
    """Run one array's actions, then verify them: (results, ids of actions not settled)."""
    key = run.record.array_key

    def remember_secret(action: Action) -> None:
        if action.operation == "set_chap":
            _record_digests(store, key, action)

    run.executor = Executor(
        run.session,
        run.view,
        store,
        apply_id,
        key,
        parallelism=options.parallelism,
        timeout=options.timeout,
        progress=options.progress,
        cancel=cancel,
        after_success=remember_secret,
    )
    results = run.executor.run(run.actions)
    if any(r.state != DONE for r in results):
        return results, []
    remaining = verify(
        [(run.session, run.record.system_id, run.actions)],
        retries=options.verify_retries,
        delay=options.verify_delay,
    )
    return results, remaining


def _record_digests(store: StateStore, array_key: str, action: Action) -> None:
    """Keep the keyed digests of the CHAP secrets just set (never the secrets)."""
    from ..credentials import SecretRef

    target = action.target
    secret_key = store.secret_key(create=True)
    assert secret_key is not None
    for param, name in (("secret", target), ("mutual_secret", f"{target}#mutual")):
        reference = action.params.get(param)
        if not reference:
            continue
        ref = SecretRef.from_dict(reference)
        if not ref.prompt:
            store.record_chap_digest(array_key, name, secret_digest(secret_key, ref.read("CHAP")))
