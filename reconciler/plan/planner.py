"""Planning: desired state (a manifest) against live state (observed once per array).

For each array entry: connect, observe everything in one bulk call, index it by name
(:class:`.view.ArrayView`), diff every kind in dependency order, prune if asked, check
capabilities and capacity, order the actions, apply the command line's consent, and record the
fingerprints of everything the actions depend on.  ``plan`` runs this with providers that
cannot write (:class:`ReadOnlyProvider`); ``apply`` runs exactly the same code.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

from ..errors import PermissionDenied, PlanError, StorplanError
from ..manifest.spec import ArraySpec, Manifest, where
from ..providers.kit.wrapper import ProviderWrapper
from .actions import Action
from .builder import ArrayPlan, Problem
from .checks import Consent, apply_consent, check_capabilities
from .declared import declared_keys, protected_keys
from .diff_block import diff_hosts, diff_mappings, diff_pools, diff_volumes
from .diff_nas import diff_filesystems
from .document import ArrayRecord, Plan
from .memory import EMPTY, Memory
from .order import order_actions
from .preflight import preflight
from .prune import diff_prune
from .view import ArrayView

if TYPE_CHECKING:
    from ..model.state import State
    from ..session import Session

__all__ = [
    "PlanError",
    "ReadOnlyProvider",
    "array_key",
    "legacy_key",
    "make_plan",
    "plan_sessions",
    "protected_keys",
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


def plan_array(
    array: ArraySpec,
    session: Session,
    memory: Memory,
    consent: Consent,
    state: State | None = None,
) -> tuple[ArrayPlan, ArrayRecord]:
    """Plan one array entry against its live state: ``state`` if given (apply observes once,
    under its locks), else one observe."""
    identity = session.provider.identity()
    if state is None:
        state = session.observe()
    view = ArrayView(state, array.system)
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
    )
    for diff in (diff_pools, diff_hosts, diff_volumes, diff_mappings, diff_filesystems, diff_prune):
        diff(plan, array)
    check_capabilities(plan)
    preflight(plan, declared_keys(array), session.provider)
    plan.actions = apply_consent(order_actions(plan.actions), consent)
    keys = sorted({k for a in plan.actions for k in a.depends_on})
    record = ArrayRecord(
        array.name,
        uri,
        None if array.credentials is None else array.credentials.to_dict(),
        view.system.id,
        view.system.name,
        {k: view.fingerprint(k) for k in keys},
        protected_keys(array),
        identity,
    )
    return plan, record


def plan_sessions(
    manifest: Manifest,
    sessions: dict[str, Session],
    memory: Memory,
    consent: Consent,
    states: dict[str, State] | None = None,
) -> tuple[Plan, dict[str, ArrayPlan]]:
    """The plan of a whole manifest over open sessions (one per array entry), and each
    array's planning state (its view serves apply as the name index).

    Raises:
        PlanError: the manifest cannot be reached from the live state, or preflight found
            what an array would refuse; nothing was changed.
    """
    actions: list[Action] = []
    records: list[ArrayRecord] = []
    planned: dict[str, ArrayPlan] = {}
    problems: list[Problem] = []
    for array in manifest.arrays:
        try:
            state = (states or {}).get(array.name)
            array_plan, record = plan_array(array, sessions[array.name], memory, consent, state)
        except StorplanError as exc:
            problems.append(Problem(array.name, exc.message, exc.hint, str(where(array))))
            continue
        problems += array_plan.problems
        actions += array_plan.actions
        records.append(record)
        planned[array.name] = array_plan
    problems += _reached_twice(manifest, records)
    if problems:
        raise PlanError(problems)
    plan = Plan(
        manifest.name,
        tuple(records),
        tuple(actions),
        (),
        {"allow_destroy": consent.allow_destroy, "allow_disruptive": consent.allow_disruptive},
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


def make_plan(
    manifest: Manifest,
    connector: Connector,
    memory: Memory = EMPTY,
    consent: Consent | None = None,
) -> Plan:
    """The plan for a whole manifest (``plan``: sessions are opened and closed here).

    Raises:
        PlanError: see :func:`plan_sessions`.
    """
    with ExitStack() as stack:
        sessions = {a.name: stack.enter_context(connector(a)) for a in manifest.arrays}
        plan, _ = plan_sessions(manifest, sessions, memory, consent or Consent())
    return plan
