"""Applying: one path for manifests and saved plans — lock, observe once, plan or judge,
confirm, execute, verify, journal.

1. Connect to every array and take its lock (keyed by the array's identity; in a fixed order,
   so two applies never deadlock).
2. Observe each array once.  A manifest is planned against that observation (preflight
   included); a saved plan is judged against it (:mod:`.judge`: MAC, identity, fingerprints,
   risk, protection, ownership, consent, preflight).  Anything blocked: refused, nothing done.
3. ``confirm(plan)`` (the CLI shows the plan and asks).  After a confirmation that waited for a
   person, each array is observed again and must still match the plan's fingerprints.
4. Execute exactly that plan (:mod:`.executor`), journalling every step; ownership is written
   with each outcome.  Unfinished creates of an apply that died are reconciled first.
5. Verify with one more observe per array (:mod:`.verify`).

The journal's status is the truth: ``ok``, ``failed`` (an action failed, the arrays did not
converge, or an error stopped it), ``interrupted`` (Ctrl-C or SIGTERM: what was still running
is journalled with its job ids), ``abandoned`` (set by the next apply if this one dies).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..errors import ApplyRefused, StorplanError
from ..plan.checks import Consent
from ..plan.document import ArrayRecord, Plan
from ..plan.memory import StoreMemory, secret_digest
from ..plan.planner import legacy_key, plan_sessions
from ..plan.view import ArrayView
from ..state import FAILED, INTERRUPTED, OK, Lock
from .executor import DONE, Executor, Progress, StepResult
from .judge import check_signature, judge_array, stale_changes
from .verify import verify

if TYPE_CHECKING:
    from ..manifest.spec import ArraySpec, Manifest
    from ..plan.actions import Action
    from ..session import Session
    from ..state import StateStore

__all__ = [
    "ApplyInterrupted",
    "ApplyOptions",
    "ApplyReport",
    "apply_manifest",
    "apply_saved_plan",
    "record_protection",
]

Connect = Callable[[str, dict[str, Any] | None], "Session"]
Confirm = Callable[[Plan], bool]


class ApplyInterrupted(KeyboardInterrupt):
    """An apply stopped by Ctrl-C or SIGTERM; its journal says ``interrupted``."""

    def __init__(self, report: ApplyReport) -> None:
        super().__init__(f"apply {report.apply_id} interrupted")
        self.report = report


@dataclass(frozen=True, slots=True)
class ApplyOptions:
    consent: Consent = field(default_factory=Consent)
    parallelism: int = 8
    timeout: float = 3600.0
    lock_timeout: float = 0.0
    verify_retries: int = 3
    verify_delay: float = 1.0
    progress: Progress | None = None
    show: Callable[[Plan], None] | None = None
    """Called with the plan as it will run (saved plans: as judged again), before anything."""
    confirm: Confirm | None = None
    recheck_after_confirm: bool = False
    """Observe again after ``confirm`` (it waited for a person)."""
    command: str = "storplan apply"


@dataclass
class ApplyReport:
    """What an apply did: one result per action, whether the arrays converged, and notes
    (ownership adopted from an older store, creates reconciled after a dead apply)."""

    apply_id: str
    plan: Plan
    results: list[StepResult] = field(default_factory=list)
    remaining: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    status: str = OK

    @property
    def ok(self) -> bool:
        return all(r.state == DONE for r in self.results) and not self.remaining


@dataclass
class _Array:
    """One array, ready to execute: its record, session and the view of its one observe."""

    record: ArrayRecord
    session: Session
    view: ArrayView
    actions: list[Action] = field(default_factory=list)


@contextmanager
def _locked(
    store: StateStore, sessions: dict[str, Session], options: ApplyOptions
) -> Iterator[list[Lock]]:
    taken: list[Lock] = []
    names: dict[str, list[str]] = {}
    for name, session in sessions.items():
        names.setdefault(session.provider.identity(), []).append(f"{name} ({session.uri})")
    try:
        for identity in sorted(names):  # one order for every apply: no deadlock
            label = "array " + ", ".join(names[identity])
            lock = store.acquire(
                identity, timeout=options.lock_timeout, command=options.command, label=label
            )
            taken.append(lock)
        yield taken
    finally:
        for lock in taken:
            store.release(lock)


def record_protection(plan: Plan, store: StateStore) -> None:
    """Make the state store's protect flags match what the plan's manifest protects (also
    when nothing else changes: protecting an object must not wait for another change)."""
    for record in plan.arrays:
        store.set_protected(record.array_key, record.protected)


def _refuse_blocked(plan: Plan, actions: list[Action] | None = None) -> None:
    blocked = [a for a in (plan.actions if actions is None else actions) if a.blocked]
    if blocked:
        first = blocked[0]
        raise ApplyRefused(
            f"{len(blocked)} action(s) are blocked, e.g. {first.id}: {first.blocked}",
            hint="nothing was changed; give the consent the plan asks for, or change the manifest",
        )


def apply_manifest(
    manifest: Manifest,
    connector: Callable[[ArraySpec], Session],
    store: StateStore,
    options: ApplyOptions = ApplyOptions(),
) -> ApplyReport:
    """Plan a manifest under the arrays' locks and apply exactly that plan."""
    with ExitStack() as stack:
        sessions = {a.name: stack.enter_context(connector(a)) for a in manifest.arrays}
        locks = stack.enter_context(_locked(store, sessions, options))
        states = {name: session.observe() for name, session in sessions.items()}
        notes = _reconcile(manifest, sessions, states, store)
        plan, planned = plan_sessions(
            manifest, sessions, StoreMemory(store), options.consent, states
        )
        arrays = [
            _Array(r, sessions[r.name], planned[r.name].view, list(planned[r.name].actions))
            for r in plan.arrays
        ]
        return _run(plan, arrays, store, locks, options, notes)


def apply_saved_plan(
    plan: Plan, connect: Connect, store: StateStore, options: ApplyOptions = ApplyOptions()
) -> ApplyReport:
    """Apply a saved plan after judging it again (see :mod:`.judge`)."""
    check_signature(plan, store)
    with ExitStack() as stack:
        sessions = {
            r.name: stack.enter_context(connect(r.provider, r.credentials)) for r in plan.arrays
        }
        locks = stack.enter_context(_locked(store, sessions, options))
        arrays = []
        for record in plan.arrays:
            session = sessions[record.name]
            view = ArrayView(session.observe(), record.system_id)
            judged = judge_array(plan, record, session, view, store, options.consent)
            arrays.append(_Array(record, session, view, judged))
        return _run(plan, arrays, store, locks, options, [])


def _reconcile(
    manifest: Manifest, sessions: dict[str, Session], states: dict[str, Any], store: StateStore
) -> list[str]:
    """Adopt an older store's ownership, and settle the creates of applies that died."""
    notes = []
    for array in manifest.arrays:
        session = sessions[array.name]
        try:
            view = ArrayView(states[array.name], array.system)
        except StorplanError:
            continue  # the planner reports it, with its position
        key = f"{session.provider.identity()}#{view.system.id}"
        legacy = legacy_key(str(session.uri), view.system.id)
        moved = store.adopt_legacy(legacy, key)
        if moved:
            notes.append(
                f"array {array.name}: {moved} ownership record(s) an older storplan kept "
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
            notes.append(f"array {array.name}: {unfinished.key} {outcome}")
    return notes


def _run(
    plan: Plan,
    arrays: list[_Array],
    store: StateStore,
    locks: list[Lock],
    options: ApplyOptions,
    notes: list[str],
) -> ApplyReport:
    judged = [a for array in arrays for a in array.actions]
    if judged != list(plan.actions):  # a saved plan, judged again: show what will run
        plan = replace(plan, actions=tuple(judged))
    if options.show is not None:
        options.show(plan)
    _refuse_blocked(plan)
    if not plan.has_changes:  # nothing to journal; protection is still remembered
        record_protection(plan, store)
        return ApplyReport("", plan, notes=notes)
    if options.confirm is not None:
        if not options.confirm(plan):
            raise ApplyRefused("the plan was not confirmed", hint="nothing was changed")
        if options.recheck_after_confirm:
            _recheck(arrays)
    pairs = [(a.record.name, a.record.array_key) for a in arrays]
    apply_id = store.begin_apply(plan.manifest, pairs, options.command)
    for lock in locks:
        store.attach(lock, apply_id)
    report = ApplyReport(apply_id, plan, notes=notes)
    cancel = threading.Event()
    try:
        for array in arrays:
            if array.actions:
                report.results += _executor(array, store, apply_id, options, cancel).run(
                    array.actions
                )
        record_protection(plan, store)
        if all(r.state == DONE for r in report.results):
            report.remaining = verify(
                [(a.session, a.record.system_id, a.actions) for a in arrays],
                retries=options.verify_retries,
                delay=options.verify_delay,
            )
        report.status = OK if report.ok else FAILED
    except KeyboardInterrupt:
        report.status = INTERRUPTED
        store.end_apply(apply_id, INTERRUPTED)
        raise ApplyInterrupted(report) from None
    except BaseException:
        report.status = FAILED
        store.end_apply(apply_id, FAILED)
        raise
    store.end_apply(apply_id, report.status)
    return report


def _recheck(arrays: list[_Array]) -> None:
    changed = []
    for array in arrays:
        view = ArrayView(array.session.observe(), array.record.system_id)
        changed += stale_changes(array.record, view)
    if changed:
        raise ApplyRefused(
            "the arrays changed while the plan waited for confirmation:\n  " + "\n  ".join(changed),
            hint="nothing was changed; run storplan apply again",
        )


def _executor(
    array: _Array, store: StateStore, apply_id: str, options: ApplyOptions, cancel: threading.Event
) -> Executor:
    key = array.record.array_key

    def remember_secret(action: Action) -> None:
        if action.operation == "set_chap":
            _record_digests(store, key, action)

    return Executor(
        array.session,
        array.view,
        store,
        apply_id,
        key,
        parallelism=options.parallelism,
        timeout=options.timeout,
        progress=options.progress,
        cancel=cancel,
        after_success=remember_secret,
    )


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
