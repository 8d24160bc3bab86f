"""Planning: desired state (a manifest) against live state (observed once per array).

For each array entry: connect, observe everything in one bulk call, index it by name
(:class:`.view.ArrayView`), diff every kind in dependency order, prune if asked, check
capabilities and capacity, order the actions, apply the command line's consent, and record the
fingerprints of everything the actions depend on.  ``plan`` runs this with providers that
cannot write (:class:`ReadOnlyProvider`); ``apply`` runs exactly the same code.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from ..collector import collector_paused
from ..errors import PermissionDenied, PlanError, StorplanError
from ..fleet import DEFAULT_ARRAY_PARALLELISM, Failed, each
from ..manifest.spec import ArraySpec, Manifest, where
from ..providers.kit.wrapper import ProviderWrapper
from .builder import ArrayPlan, Problem
from .checks import Consent, apply_consent, check_capabilities
from .declared import declared_keys, protected_keys
from .diff_block import diff_hosts, diff_mappings, diff_pools, diff_volumes
from .diff_nas import diff_filesystems
from .document import ArrayFailure, ArrayRecord, Plan
from .memory import EMPTY, Memory
from .order import order_actions
from .preflight import preflight
from .prune import diff_prune
from .target import EVERYTHING, Scope
from .view import ArrayView

if TYPE_CHECKING:
    from ..model.state import State
    from ..session import Session

__all__ = [
    "PlanError",
    "ReadOnlyProvider",
    "array_key",
    "connect_all",
    "legacy_key",
    "make_plan",
    "plan_sessions",
    "position",
    "protected_keys",
    "refusal",
]

Connector = Callable[[ArraySpec], "Session"]


class ReadOnlyProvider(ProviderWrapper):
    """Wraps a provider for ``plan``: queries pass through, every operation is refused.

    The planner never calls an operation; this makes that a guarantee, not a promise (dry runs
    that changed things anyway are a known failure of other tools).
    """

    def operate(self, operation: str, args: tuple[Any, ...]) -> Any:
        raise PermissionDenied(
            f"{operation} was called during a dry run; nothing was changed",
            hint="this is a bug in storplan; please report it",
        )


def array_key(identity: str, system_id: str) -> str:
    """The key of one managed system: the installation's identity and the system's id."""
    return f"{identity}#{system_id}"


def legacy_key(provider_uri: str, system_id: str) -> str:
    """The key an older storplan (0.1) recorded ownership under: the URI's text."""
    from ..uri import parse_uri

    return f"{parse_uri(provider_uri).identity}#{system_id}"


@dataclass(frozen=True, slots=True)
class _Planned:
    plan: ArrayPlan
    record: ArrayRecord


class _StageFailed(Exception):
    """One array's planning stopped at ``stage`` (carried out of the worker)."""

    def __init__(self, stage: str, error: StorplanError) -> None:
        super().__init__(stage)
        self.stage, self.error = stage, error


def _provider_problems(array: ArraySpec, session: Session) -> list[Problem]:
    """The manifest's names, sizes, LUNs and needed capabilities against what this array's
    provider declares (what ``validate`` checks online), as problems at their positions."""
    from ..manifest.diagnostics import Diagnostics
    from ..manifest.semantic import ProviderFacts, check_providers

    diagnostics = Diagnostics()
    facts = {array.name: ProviderFacts(session.capabilities, session.limits)}
    check_providers(Manifest("", (array,)), facts, diagnostics)
    return [Problem(array.name, d.message, d.hint, str(d.mark), d.code) for d in diagnostics.errors]


def _plan_one(
    array: ArraySpec,
    session: Session,
    memory: Memory,
    consent: Consent,
    observe: Callable[[], State],
    scope: Scope,
) -> _Planned:
    def failed(stage: str, problems: list[Problem]) -> _StageFailed:
        return _StageFailed(stage, PlanError(problems))

    try:
        identity = session.provider.identity()
        state = observe()
    except StorplanError as exc:
        raise _StageFailed("observe", exc) from None
    full, array = array, scope.restrict(array)  # a targeted plan covers part of the entry
    problems = _provider_problems(array, session)
    if problems:
        raise failed("validate", problems)
    try:
        view = ArrayView(state, array.system)
    except StorplanError as exc:
        problem = Problem(array.name, exc.message, exc.hint, str(where(array)))
        raise failed("plan", [problem]) from None
    uri = str(session.uri)
    key = array_key(identity, view.system.id)
    plan = ArrayPlan(
        array.name,
        view,
        session.capabilities,
        session.limits,
        memory.owned(key, legacy_key(uri, view.system.id)),
        key,
        memory,
        (lambda k: scope.allows(array.name, k)) if scope else None,
    )
    for diff in (diff_pools, diff_hosts, diff_volumes, diff_mappings, diff_filesystems, diff_prune):
        diff(plan, array)
    declared = declared_keys(full)
    plan.unpruned = [k for k in plan.unpruned if k not in declared]  # declared: not prunable
    stage = "plan" if plan.problems else "preflight"
    check_capabilities(plan)  # also after a diff problem: every problem is reported at once
    preflight(plan, declared, session.provider)
    if plan.problems:
        raise failed(stage, plan.problems)
    plan.actions = apply_consent(order_actions(plan.actions), consent)
    keys = sorted({k for a in plan.actions for k in a.depends_on})
    record = ArrayRecord(
        array.name,
        uri,
        None if array.credentials is None else array.credentials.to_dict(),
        view.system.id,
        view.system.name,
        {k: view.fingerprint(k) for k in keys},
        protected_keys(full),  # the whole entry's: a targeted apply keeps every flag
        identity,
    )
    return _Planned(plan, record)


def _failure(array: ArraySpec, stage: str, error: StorplanError) -> ArrayFailure:
    return ArrayFailure.of(array.name, array.provider, stage, error, str(where(array, "provider")))


Observe = Callable[[ArraySpec, "Session"], "State"]
"""How apply observes an array under its lock (and settles what a dead apply left)."""


def plan_sessions(
    manifest: Manifest,
    sessions: dict[str, Session],
    memory: Memory,
    consent: Consent,
    *,
    observe: Observe | None = None,
    failed: Sequence[ArrayFailure] = (),
    parallelism: int = DEFAULT_ARRAY_PARALLELISM,
    cancel: threading.Event | None = None,
    scope: Scope = EVERYTHING,
) -> tuple[Plan, dict[str, ArrayPlan]]:
    """The plan of a whole manifest over open sessions (one per array entry that could be
    reached), and each planned array's planning state (its view serves apply as the name
    index).  Arrays are observed and planned concurrently; an array that cannot be planned
    is a :class:`ArrayFailure` of the plan (``failed`` brings those that could not even be
    connected to) and the others are planned without it.  ``scope``: a targeted plan
    (:mod:`.target`).
    """
    with collector_paused():  # observed states are large, long-lived and acyclic
        return _plan_sessions(
            manifest, sessions, memory, consent, observe, failed, parallelism, cancel, scope
        )


def _plan_sessions(
    manifest: Manifest,
    sessions: dict[str, Session],
    memory: Memory,
    consent: Consent,
    observe: Observe | None,
    failed: Sequence[ArrayFailure],
    parallelism: int,
    cancel: threading.Event | None,
    scope: Scope,
) -> tuple[Plan, dict[str, ArrayPlan]]:
    entries = [a for a in scope.arrays(manifest) if a.name in sessions]

    def plan_entry(array: ArraySpec) -> _Planned | ArrayFailure:
        session = sessions[array.name]
        look = (lambda: observe(array, session)) if observe else session.observe
        try:
            return _plan_one(array, session, memory, consent, look, scope)
        except _StageFailed as stop:
            return _failure(array, stop.stage, stop.error)

    outcomes = each(entries, plan_entry, parallelism=parallelism, cancel=cancel)
    failures = {f.name: f for f in failed}
    planned: dict[str, ArrayPlan] = {}
    records: list[ArrayRecord] = []
    for array, outcome in zip(entries, outcomes, strict=True):
        if isinstance(outcome, _Planned):
            planned[array.name] = outcome.plan
            records.append(outcome.record)
        elif isinstance(outcome, ArrayFailure):
            failures[array.name] = outcome
        else:  # an error no stage expected (a store that cannot be read, a plug-in's bug)
            failures[array.name] = _failure(array, "plan", outcome.error)
    for problem in _reached_twice(manifest, records):
        records = [r for r in records if r.name != problem.array]
        planned.pop(problem.array)
        failures[problem.array] = ArrayFailure(
            problem.array, manifest.array(problem.array).provider, "plan", (problem,)
        )
    order = {a.name: i for i, a in enumerate(manifest.arrays)}
    plan = Plan(
        manifest.name,
        tuple(records),
        tuple(a for r in records for a in planned[r.name].actions),
        tuple(sorted(failures.values(), key=lambda f: order.get(f.name, len(order)))),
        {"allow_destroy": consent.allow_destroy, "allow_disruptive": consent.allow_disruptive},
        targets=tuple(str(t) for t in scope.targets),
        outside=scope.outside(manifest)
        + tuple(f"{r.name}: prune of {k}" for r in records for k in planned[r.name].unpruned),
    )
    return plan, planned


def _reached_twice(manifest: Manifest, records: list[ArrayRecord]) -> list[Problem]:
    """Two entries reaching one system (two names, two spellings of one URI) would race for
    one array under two plans: refused."""
    seen: dict[str, ArrayRecord] = {}
    problems = []
    for record in records:
        first = seen.setdefault(record.array_key, record)
        if first is not record:
            problems.append(
                Problem(
                    record.name,
                    f"reaches the same system ({record.system_name}, array "
                    f"{record.identity}) as array entry {first.name!r}",
                    "declare each system once: merge the two entries",
                    str(where(manifest.array(record.name), "provider")),
                    "array.duplicate",
                )
            )
    return problems


class Reachable(Protocol):
    """An array entry or a saved plan's array record: a name and a provider URI."""

    @property
    def name(self) -> str: ...
    @property
    def provider(self) -> str: ...


R = TypeVar("R", bound=Reachable)


def position(entry: Reachable) -> str:
    """Where an array entry's provider is written (``""`` for a saved plan's record)."""
    return str(where(entry, "provider")) if isinstance(entry, ArraySpec) else ""


def connect_all(
    arrays: Sequence[R],
    connect: Callable[[R], Session],
    stack: ExitStack,
    *,
    parallelism: int = DEFAULT_ARRAY_PARALLELISM,
    cancel: threading.Event | None = None,
) -> tuple[dict[str, Session], list[ArrayFailure]]:
    """Open a session to every array at once (at most ``parallelism`` connecting); those
    that cannot be reached are failures, not the end of the others.  Sessions close with
    ``stack``."""
    outcomes = each(arrays, connect, parallelism=parallelism, cancel=cancel)
    sessions: dict[str, Session] = {}
    failed: list[ArrayFailure] = []
    opened = [o for o in outcomes if not isinstance(o, Failed)]
    # Closed together: a provider's close may be a round trip (a logout, a WAL checkpoint).
    stack.callback(each, opened, _close, parallelism=parallelism)
    for array, outcome in zip(arrays, outcomes, strict=True):
        if isinstance(outcome, Failed):
            failed.append(
                ArrayFailure.of(
                    array.name, array.provider, "connect", outcome.error, position(array)
                )
            )
        else:
            sessions[array.name] = outcome
    return sessions, failed


def _close(session: Session) -> None:
    session.close()


def refusal(failures: Sequence[ArrayFailure], arrays: int) -> StorplanError:
    """The error that stops a command when arrays failed and none can go on (or the user
    wanted all or nothing): the array's own error when the manifest has only that one, else
    every problem of all of them, each named with its array and position."""
    if arrays == 1 and len(failures) == 1 and failures[0].error is not None:
        return failures[0].error
    return PlanError([p for f in failures for p in f.problems])


def make_plan(
    manifest: Manifest,
    connector: Connector,
    memory: Memory = EMPTY,
    consent: Consent | None = None,
    *,
    parallelism: int = DEFAULT_ARRAY_PARALLELISM,
    scope: Scope = EVERYTHING,
) -> Plan:
    """The plan for a whole manifest (``plan``: sessions are opened and closed here), its
    arrays connected to, observed and planned concurrently; ``scope`` limits it to targets
    (:mod:`.target`: arrays outside the target are not even connected to).

    Raises:
        PlanError: an array could not be planned: every problem, with the plan of the arrays
            that could be as its ``plan`` (the single array's own error when the manifest has
            one array).
    """
    scope.check(manifest)
    arrays = scope.arrays(manifest)
    with ExitStack() as stack:
        sessions, failed = connect_all(arrays, connector, stack, parallelism=parallelism)
        plan, _ = plan_sessions(
            manifest,
            sessions,
            memory,
            consent or Consent(),
            failed=failed,
            parallelism=parallelism,
            scope=scope,
        )
    if plan.failed:
        error = refusal(plan.failed, len(arrays))
        if isinstance(error, PlanError):
            error.plan = plan
        raise error
    return plan
