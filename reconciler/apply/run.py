"""Applying: one path for manifests and saved plans — connect, lock, observe once, plan or
judge, confirm, execute, verify, journal — for every array at once, each array's failure its
own.

1. Connect to every array concurrently (at most ``array_parallelism`` at once) and take the
   locks of their identities one after another, in one order for every apply (two applies
   over overlapping fleets never deadlock).
2. Observe each array once, concurrently.  A manifest is planned against that observation
   (preflight included); a saved plan is judged against it (:mod:`.judge`: MAC, identity,
   fingerprints, risk, protection, ownership, consent, preflight).
3. An array that could not be reached, locked, planned or judged, or whose plan is blocked
   (consent), is left out and reported; the others go on — unless ``all_or_nothing``, when
   any failure refuses the whole apply before anything changes.  If no array can go on, the
   failure is raised (one array's own error, or every problem of all of them).
4. ``confirm(plan)`` (the CLI shows the plan and asks).  After a confirmation that waited for
   a person, each array is observed again and must still match the plan's fingerprints.
5. Execute exactly that plan, each array in its own thread with its own action parallelism
   (:mod:`.executor`), journalling every step with its ownership change; then verify that
   array with one more observe (:mod:`.verify`).

The journal's status is the truth: ``ok`` (every array converged), ``failed`` (an array
failed anywhere, or an action failed, or an array did not converge), ``interrupted`` (Ctrl-C
or SIGTERM: what was still running is journalled with its job ids), ``abandoned`` (set by the
next apply if this one dies).  Arrays left out before executing are journalled as a
``failed`` step named after the array.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..errors import ApplyRefused, PlanError, StorplanError
from ..fleet import DEFAULT_ARRAY_PARALLELISM, Failed, each
from ..plan.builder import Problem
from ..plan.checks import Consent
from ..plan.document import ArrayFailure, Plan
from ..plan.memory import StoreMemory
from ..plan.planner import connect_all, plan_sessions, refusal
from ..plan.target import Scope
from ..plan.view import ArrayView
from ..state import FAILED, INTERRUPTED, OK
from .arrays import ArrayRun, execute, lock_all, reconcile
from .executor import DONE, Progress
from .judge import check_signature, judge_array, stale_changes
from .report import APPLIED, UNCHANGED, ApplyInterrupted, ApplyReport, ArrayOutcome

if TYPE_CHECKING:
    from ..manifest.spec import ArraySpec, Manifest
    from ..model.state import State
    from ..plan.document import ArrayRecord
    from ..session import Session
    from ..state import Lock, StateStore

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


@dataclass(frozen=True, slots=True)
class ApplyOptions:
    consent: Consent = field(default_factory=Consent)
    parallelism: int = 8
    """Actions running at once on one array."""
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
    array_parallelism: int = DEFAULT_ARRAY_PARALLELISM
    """Arrays worked on at once."""
    all_or_nothing: bool = False
    """Refuse the whole apply when any array cannot be planned or judged."""
    scope: Scope = field(default_factory=Scope)
    """A targeted apply (``--target``, ``--array``; manifests only: a saved plan keeps the
    target it was made with)."""


def record_protection(plan: Plan, store: StateStore) -> None:
    """Make the state store's protect flags match what the plan's manifest protects (also
    when nothing else changes: protecting an object must not wait for another change)."""
    for record in plan.arrays:
        store.set_protected(record.array_key, record.protected)


def apply_manifest(
    manifest: Manifest,
    connector: Callable[[ArraySpec], Session],
    store: StateStore,
    options: ApplyOptions = ApplyOptions(),
) -> ApplyReport:
    """Plan a manifest under the arrays' locks and apply exactly that plan."""
    cancel = threading.Event()
    options.scope.check(manifest)
    arrays = options.scope.arrays(manifest)
    entries = {a.name: a for a in arrays}
    with ExitStack() as stack:
        sessions, failed = connect_all(
            arrays, connector, stack, parallelism=options.array_parallelism, cancel=cancel
        )
        locks, lock_failed = lock_all(store, sessions, entries, options)
        stack.callback(_release, store, locks)
        found: dict[str, list[str]] = {}

        def observe(array: ArraySpec, session: Session) -> State:
            state = session.observe()
            found[array.name] = reconcile(array.name, array.system, session, state, store)
            return state

        locked = {n: s for n, s in sessions.items() if n not in {f.name for f in lock_failed}}
        plan, planned = plan_sessions(
            manifest,
            locked,
            StoreMemory(store),
            options.consent,
            observe=observe,
            failed=failed + lock_failed,
            parallelism=options.array_parallelism,
            cancel=cancel,
            scope=options.scope,
        )
        notes = [note for a in manifest.arrays for note in found.get(a.name, ())]
        runs = [
            ArrayRun(r, sessions[r.name], planned[r.name].view, list(planned[r.name].actions))
            for r in plan.arrays
        ]
        order = [a.name for a in manifest.arrays]
        return _run(plan, runs, store, locks, options, notes, cancel, order)


def apply_saved_plan(
    plan: Plan, connect: Connect, store: StateStore, options: ApplyOptions = ApplyOptions()
) -> ApplyReport:
    """Apply a saved plan after judging it again (see :mod:`.judge`)."""
    check_signature(plan, store)
    cancel = threading.Event()
    entries = {r.name: r for r in plan.arrays}
    with ExitStack() as stack:
        sessions, failed = connect_all(
            plan.arrays,
            lambda r: connect(r.provider, r.credentials),
            stack,
            parallelism=options.array_parallelism,
            cancel=cancel,
        )
        locks, lock_failed = lock_all(store, sessions, entries, options)
        stack.callback(_release, store, locks)
        left_out = {f.name for f in failed + lock_failed}

        def judge(record: ArrayRecord) -> ArrayRun | ArrayFailure:
            session = sessions[record.name]
            stage = "observe"
            try:
                state = session.observe()
                stage = "judge"
                view = ArrayView(state, record.system_id)
                judged = judge_array(plan, record, session, view, store, options.consent)
            except StorplanError as exc:
                return ArrayFailure.of(record.name, record.provider, stage, exc)
            return ArrayRun(record, session, view, judged)

        todo = [r for r in plan.arrays if r.name not in left_out]
        outcomes = each(todo, judge, parallelism=options.array_parallelism, cancel=cancel)
        runs = [o for o in outcomes if isinstance(o, ArrayRun)]
        failures = [*plan.failed, *failed, *lock_failed]
        for record, outcome in zip(todo, outcomes, strict=True):
            if isinstance(outcome, ArrayFailure):
                failures.append(outcome)
            elif isinstance(outcome, Failed):
                failure = ArrayFailure.of(record.name, record.provider, "judge", outcome.error)
                failures.append(failure)
        judged = replace(
            plan,
            arrays=tuple(r.record for r in runs),
            actions=tuple(a for r in runs for a in r.actions),
            failed=tuple(failures),
        )
        order = [r.name for r in plan.arrays] + [f.name for f in plan.failed]
        return _run(judged, runs, store, locks, options, [], cancel, order)


def _release(store: StateStore, locks: list[Lock]) -> None:
    for lock in locks:
        store.release(lock)


def _blocked(run: ArrayRun) -> ArrayFailure | None:
    """An array whose plan has blocked actions does not run (it needs consent first)."""
    blocked = [a for a in run.actions if a.blocked]
    if not blocked:
        return None
    first, name = blocked[0], run.record.name
    error = ApplyRefused(
        f"{len(blocked)} action(s) are blocked, e.g. {first.id}: {first.blocked}",
        hint="nothing was changed; give the consent the plan asks for, or change the manifest",
    )
    problem = Problem(name, error.message, error.hint, code=error.code)
    return ArrayFailure(name, run.record.provider, "consent", (problem,), error)


def _stop(failures: list[ArrayFailure], arrays: int, all_or_nothing: bool) -> StorplanError:
    error = refusal(failures, arrays)
    if isinstance(error, PlanError):
        more = " (--all-or-nothing)" if all_or_nothing else ""
        error.hint = f"nothing was changed on any array{more}"
    return error


def _run(
    plan: Plan,
    runs: list[ArrayRun],
    store: StateStore,
    locks: list[Lock],
    options: ApplyOptions,
    notes: list[str],
    cancel: threading.Event,
    order: list[str],
) -> ApplyReport:
    """Show, confirm, execute and verify (see the module docstring); the report's arrays are
    in ``order`` (the manifest's)."""
    rank = {name: i for i, name in enumerate(order)}
    report = _prepare_and_run(plan, runs, store, locks, options, notes, cancel)
    report.arrays.sort(key=lambda a: rank.get(a.name, len(rank)))
    return report


def _prepare_and_run(
    plan: Plan,
    runs: list[ArrayRun],
    store: StateStore,
    locks: list[Lock],
    options: ApplyOptions,
    notes: list[str],
    cancel: threading.Event,
) -> ApplyReport:
    if options.show is not None:
        options.show(plan)
    failures = list(plan.failed)
    failures += [f for f in map(_blocked, runs) if f is not None]
    going = [r for r in runs if r.record.name not in {f.name for f in failures}]
    if failures and (not going or options.all_or_nothing):
        raise _stop(failures, len(runs) + len(plan.failed), options.all_or_nothing)
    report = ApplyReport("", plan, notes=notes)
    report.arrays = [ArrayOutcome.failure(f) for f in failures]
    report.arrays += [ArrayOutcome(r.record.name, UNCHANGED) for r in going if not r.actions]
    changing = [r for r in going if r.actions]
    if not changing:  # nothing to journal; protection is still remembered
        record_protection(plan, store)
        report.status = OK if report.ok else FAILED
        return report
    if options.confirm is not None:
        if not options.confirm(plan):
            raise ApplyRefused("the plan was not confirmed", hint="nothing was changed")
        if options.recheck_after_confirm:
            changing, stale = _recheck(changing, options, cancel)
            if stale and (options.all_or_nothing or not changing):
                raise _stop(stale, len(runs) + len(plan.failed), options.all_or_nothing)
            failures += stale
            report.arrays += [ArrayOutcome.failure(f) for f in stale]
    pairs = [(r.record.name, r.record.array_key) for r in changing]
    report.apply_id = store.begin_apply(plan.manifest, pairs, options.command)
    digest = plan.digest()
    for lock in locks:  # a dead apply is found through its lock
        store.attach(lock, report.apply_id, digest)
    for failure in failures:
        first = failure.problems[0].message if failure.problems else ""
        note = f"not applied ({failure.stage}): {first}"
        store.step(report.apply_id, failure.name, "failed", note)
    return _execute_all(report, changing, store, options, cancel)


def _execute_all(
    report: ApplyReport,
    changing: list[ArrayRun],
    store: StateStore,
    options: ApplyOptions,
    cancel: threading.Event,
) -> ApplyReport:
    apply_id = report.apply_id
    try:
        outcomes = each(
            changing,
            lambda run: execute(run, store, apply_id, options, cancel),
            parallelism=options.array_parallelism,
            cancel=cancel,
        )
    except KeyboardInterrupt:
        for run in changing:
            report.results += run.settled
            settled = run.settled
            complete = len(settled) == len(run.actions) and all(r.state == DONE for r in settled)
            state = APPLIED if complete else INTERRUPTED
            report.arrays.append(ArrayOutcome(run.record.name, state))
        report.status = INTERRUPTED
        store.end_apply(apply_id, INTERRUPTED)
        raise ApplyInterrupted(report) from None
    except BaseException:
        report.status = FAILED
        store.end_apply(apply_id, FAILED)
        raise
    for run, outcome in zip(changing, outcomes, strict=True):
        name = run.record.name
        if isinstance(outcome, Failed):  # the journal or the executor itself failed
            report.results += run.settled
            failure = ArrayFailure.of(name, run.record.provider, "execute", outcome.error)
            report.arrays.append(ArrayOutcome.failure(failure))
            continue
        results, remaining = outcome
        report.results += results
        report.remaining += remaining
        if any(r.state != DONE for r in results):
            report.arrays.append(ArrayOutcome(name, "failed", "execute"))
        elif remaining:
            report.arrays.append(ArrayOutcome(name, "failed", "verify"))
        else:
            report.arrays.append(ArrayOutcome(name, APPLIED))
    report.status = OK if report.ok else FAILED
    try:
        record_protection(report.plan, store)
        store.end_apply(apply_id, report.status)
    except StorplanError as exc:  # the report still says what was done on the arrays
        report.status = FAILED
        report.notes.append(f"the journal could not record the end of this apply: {exc}")
        report.arrays = [
            a if a.status != APPLIED else ArrayOutcome(a.name, FAILED, "journal")
            for a in report.arrays
        ]
    return report


def _recheck(
    runs: list[ArrayRun], options: ApplyOptions, cancel: threading.Event
) -> tuple[list[ArrayRun], list[ArrayFailure]]:
    """Observe each array again after a confirmation that waited for a person; an array that
    changed meanwhile is left out (nothing is done on it)."""

    def changes(run: ArrayRun) -> list[str]:
        return stale_changes(run.record, ArrayView(run.session.observe(), run.record.system_id))

    outcomes = each(runs, changes, parallelism=options.array_parallelism, cancel=cancel)
    still: list[ArrayRun] = []
    stale: list[ArrayFailure] = []
    for run, outcome in zip(runs, outcomes, strict=True):
        record = run.record
        if isinstance(outcome, Failed):
            stale.append(ArrayFailure.of(record.name, record.provider, "recheck", outcome.error))
        elif outcome:
            error = ApplyRefused(
                "the array changed while the plan waited for confirmation:\n  "
                + "\n  ".join(outcome),
                hint="nothing was changed on it; run storplan apply again",
            )
            stale.append(ArrayFailure.of(record.name, record.provider, "recheck", error))
        else:
            still.append(run)
    return still, stale
