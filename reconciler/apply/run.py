"""Applying: lock, (re)plan or check a saved plan, refuse if blocked, execute, verify.

``apply_manifest`` plans under the arrays' locks and executes exactly that plan;
``apply_saved_plan`` executes a saved plan only if every observed object it depends on still
has the fingerprint it had when the plan was made (creates included: an object that appeared
since makes the plan stale).  Both refuse before touching anything if an action is blocked.
After executing, the arrays are observed again: a manifest is re-planned (bounded retries for
arrays that settle slowly) and any remaining change is an error; a saved plan is checked
object by object.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import ApplyRefused
from ..plan.builder import Ownership
from ..plan.checks import Consent
from ..plan.document import Plan
from ..plan.planner import array_key, make_plan
from ..plan.view import ABSENT, ArrayView
from ..uri import parse_uri
from .executor import DONE, Executor, Progress, StepResult

if TYPE_CHECKING:
    from ..manifest.spec import ArraySpec, Manifest
    from ..session import Session
    from ..statestore import StateStore

__all__ = [
    "ApplyOptions",
    "ApplyRefused",
    "ApplyReport",
    "apply_manifest",
    "apply_saved_plan",
    "record_protection",
]

Connect = Callable[[str, dict[str, Any] | None], "Session"]


@dataclass(frozen=True, slots=True)
class ApplyOptions:
    consent: Consent = field(default_factory=Consent)
    parallelism: int = 8
    timeout: float = 3600.0
    lock_timeout: float = 0.0
    verify_retries: int = 3
    verify_delay: float = 1.0
    progress: Progress | None = None


@dataclass
class ApplyReport:
    """What an apply did: one result per action, and whether the arrays converged."""

    apply_id: str
    plan: Plan
    results: list[StepResult] = field(default_factory=list)
    remaining: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.state == DONE for r in self.results) and not self.remaining


def owned_lookup(store: StateStore) -> Callable[[str], dict[str, Ownership]]:
    return lambda key: {k: Ownership(k, p) for k, p in store.owned(key).items()}


@contextmanager
def _locked(store: StateStore, uris: list[str], timeout: float) -> Iterator[None]:
    taken: list[str] = []
    try:
        for uri in sorted({parse_uri(u).identity for u in uris}):  # fixed order: no deadlock
            taken.append(store.acquire(uri, timeout))
        yield
    finally:
        for lock_id in taken:
            store.release(lock_id)


def _execute(
    plan: Plan,
    sessions: dict[str, Session],
    store: StateStore,
    apply_id: str,
    options: ApplyOptions,
) -> list[StepResult]:
    results: list[StepResult] = []
    for record in plan.arrays:
        actions = [a for a in plan.actions if a.array == record.name]
        key = array_key(record.provider, record.system_id)
        if actions:
            session = sessions[record.name]
            executor = Executor(
                session,
                ArrayView(session.observe(), record.system_id),
                store,
                apply_id,
                key,
                parallelism=options.parallelism,
                timeout=options.timeout,
                progress=options.progress,
            )
            results += executor.run(actions)
    record_protection(plan, store)
    return results


def record_protection(plan: Plan, store: StateStore) -> None:
    """Make the state store's protect flags match what the plan's manifest protects (also
    when nothing else changes: protecting an object must not wait for another change)."""
    for record in plan.arrays:
        store.set_protected(array_key(record.provider, record.system_id), record.protected)


def _refuse_blocked(plan: Plan) -> None:
    if plan.blocked:
        first = plan.blocked[0]
        raise ApplyRefused(
            f"{len(plan.blocked)} action(s) are blocked, e.g. {first.id}: {first.blocked}",
            hint="nothing was changed; give the consent the plan asks for, or change the manifest",
        )


def apply_manifest(
    manifest: Manifest,
    connector: Callable[[ArraySpec], Session],
    store: StateStore,
    options: ApplyOptions = ApplyOptions(),
) -> ApplyReport:
    """Plan and apply a manifest; see the module docstring."""
    with (
        ExitStack() as stack,
        _locked(store, [a.provider for a in manifest.arrays], options.lock_timeout),
    ):
        sessions = {a.name: stack.enter_context(connector(a)) for a in manifest.arrays}

        def reuse(array: ArraySpec) -> Any:
            return _Borrowed(sessions[array.name])

        plan = make_plan(manifest, reuse, owned_lookup(store), options.consent)
        _refuse_blocked(plan)
        apply_id = store.begin_apply(manifest.name)
        report = ApplyReport(apply_id, plan)
        try:
            report.results = _execute(plan, sessions, store, apply_id, options)
            if all(r.state == DONE for r in report.results):
                for attempt in range(options.verify_retries + 1):
                    again = make_plan(manifest, reuse, owned_lookup(store), options.consent)
                    report.remaining = [a.id for a in again.actions if not a.blocked]
                    if not report.remaining or attempt == options.verify_retries:
                        break
                    time.sleep(options.verify_delay)
        finally:
            store.end_apply(apply_id, "ok" if report.ok else "failed")
        return report


class _Borrowed:
    """A session lent to the planner without closing it afterwards."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def __enter__(self) -> Session:
        return self.session

    def __exit__(self, *_exc: object) -> None:
        return None


def _stale(plan: Plan, views: dict[str, ArrayView]) -> list[str]:
    changed = []
    for record in plan.arrays:
        view = views[record.name]
        for key, fingerprint in sorted(record.fingerprints.items()):
            if view.fingerprint(key) != fingerprint:
                changed.append(f"{record.name}: {key}")
    return changed


def apply_saved_plan(
    plan: Plan, connect: Connect, store: StateStore, options: ApplyOptions = ApplyOptions()
) -> ApplyReport:
    """Apply exactly a saved plan, if it is still current; see the module docstring."""
    _refuse_blocked(plan)
    with (
        ExitStack() as stack,
        _locked(store, [r.provider for r in plan.arrays], options.lock_timeout),
    ):
        sessions = {
            r.name: stack.enter_context(connect(r.provider, r.credentials)) for r in plan.arrays
        }
        views = {r.name: ArrayView(sessions[r.name].observe(), r.system_id) for r in plan.arrays}
        stale = _stale(plan, views)
        if stale:
            raise ApplyRefused(
                f"the plan is stale: {len(stale)} object(s) changed since it was "
                f"made, e.g. {stale[0]}",
                hint="nothing was changed; run storplan plan again",
            )
        apply_id = store.begin_apply(plan.manifest)
        report = ApplyReport(apply_id, plan)
        try:
            report.results = _execute(plan, sessions, store, apply_id, options)
            after = {
                r.name: ArrayView(sessions[r.name].observe(), r.system_id) for r in plan.arrays
            }
            final: dict[tuple[str, str], Any] = {}  # the last action on a target decides
            for action in plan.actions:
                if action.kind != "initiator":  # initiators are checked through their host
                    kind = "volume" if action.kind == "replica" else action.kind
                    final[(action.array, f"{kind}:{action.target}")] = action
            for (array, target), action in final.items():
                exists = after[array].fingerprint(target) != ABSENT
                if exists == (action.verb == "delete"):
                    report.remaining.append(action.id)
        finally:
            store.end_apply(apply_id, "ok" if report.ok else "failed")
        return report
