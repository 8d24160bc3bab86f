"""Planning: desired state (a manifest) against live state (observed once per array).

For each array entry: connect, observe everything in one bulk call, index it by name
(:class:`.view.ArrayView`), diff every kind in dependency order, prune if asked, check
capabilities and capacity, order the actions, apply the command line's consent, and record the
fingerprints of everything the actions depend on.  ``plan`` runs this with providers that
cannot write (:class:`ReadOnlyProvider`); ``apply`` runs exactly the same code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import PermissionDenied, StorplanError
from ..manifest.spec import ArraySpec, Manifest
from .builder import ArrayPlan, Ownership, Problem
from .checks import (
    Consent,
    apply_consent,
    check_capabilities,
    check_capacity,
    check_provisioning,
)
from .diff_block import diff_hosts, diff_mappings, diff_pools, diff_volumes
from .diff_file import diff_filesystems
from .document import ArrayRecord, Plan
from .order import order_actions
from .prune import diff_prune
from .view import ArrayView

if TYPE_CHECKING:
    from ..session import Session

__all__ = ["PlanError", "ReadOnlyProvider", "array_key", "make_plan", "protected_keys"]

Connector = Callable[[ArraySpec], "Session"]
OwnershipLookup = Callable[[str], dict[str, Ownership]]


class PlanError(StorplanError):
    """The plan cannot be made: see ``problems``."""

    code = "plan_invalid"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"array {first.array}: {first.message}{more}", hint=first.hint)


class ReadOnlyProvider:
    """Wraps a provider for ``plan``: queries pass through, every operation is refused.

    The planner never calls an operation; this makes that a guarantee, not a promise (dry runs
    that changed things anyway are a known failure of other tools).
    """

    _QUERIES = frozenset(
        {"name", "capabilities", "limits", "version", "observe", "job", "jobs", "close"}
    )

    def __init__(self, provider: Any) -> None:
        self._provider = provider

    def __getattr__(self, name: str) -> Any:
        if name in self._QUERIES:
            return getattr(self._provider, name)

        def refuse(*_args: Any, **_kwargs: Any) -> Any:
            raise PermissionDenied(
                f"{name} was called during a dry run; nothing was changed",
                hint="this is a bug in storplan; please report it",
            )

        return refuse


def array_key(provider_uri: str, system_id: str) -> str:
    """The identity of one managed system, independent of manifest naming and URI options."""
    from ..uri import parse_uri

    return f"{parse_uri(provider_uri).identity}#{system_id}"


def protected_keys(array: ArraySpec) -> tuple[str, ...]:
    """Keys of the objects the manifest protects (kept as ownership flags on apply)."""
    keys = [f"pool:{p.name}" for p in array.pools if p.protect]
    keys += [f"host:{h.name}" for h in array.hosts if h.protect]
    for v in array.volumes:
        if v.protect:
            keys.append(f"volume:{v.name}")
        keys += [f"snapshot:{v.name}/{s.name}" for s in v.snapshots if s.protect]
    for f in array.filesystems:
        if f.protect:
            keys.append(f"filesystem:{f.name}")
        keys += [f"fs_snapshot:{f.name}/{s.name}" for s in f.snapshots if s.protect]
    return tuple(sorted(keys))


def plan_array(
    array: ArraySpec, session: Session, owned: OwnershipLookup, consent: Consent
) -> tuple[ArrayPlan, ArrayRecord]:
    """Plan one array entry against its live state."""
    state = session.observe()
    view = ArrayView(state, array.system)
    uri = str(session.uri)
    plan = ArrayPlan(
        array.name,
        view,
        session.capabilities,
        session.limits,
        owned(array_key(uri, view.system.id)),
    )
    for diff in (diff_pools, diff_hosts, diff_volumes, diff_mappings, diff_filesystems, diff_prune):
        diff(plan, array)
    check_capabilities(plan)
    check_provisioning(plan)
    check_capacity(plan)
    plan.actions = apply_consent(order_actions(plan.actions), consent)
    keys = sorted({k for a in plan.actions for k in a.depends_on})
    credentials = None
    if array.credentials is not None:
        ref = array.credentials
        credentials = (
            {"env": ref.env} if ref.env else {"file": ref.file} if ref.file else {"prompt": True}
        )
    record = ArrayRecord(
        array.name,
        uri,
        credentials,
        view.system.id,
        view.system.name,
        {k: view.fingerprint(k) for k in keys},
        protected_keys(array),
    )
    return plan, record


def make_plan(
    manifest: Manifest,
    connector: Connector,
    owned: OwnershipLookup,
    consent: Consent | None = None,
) -> Plan:
    """The plan for a whole manifest.

    Raises:
        PlanError: the manifest cannot be reached from the live state (missing pools,
            unsupported capabilities, not enough capacity, ...); nothing was changed.
    """
    consent = consent or Consent()
    actions = []
    records = []
    problems: list[Problem] = []
    for array in manifest.arrays:
        with connector(array) as session:
            try:
                array_plan, record = plan_array(array, session, owned, consent)
            except StorplanError as exc:
                problems.append(Problem(array.name, exc.message, exc.hint))
                continue
        problems += array_plan.problems
        actions += array_plan.actions
        records.append(record)
    if problems:
        raise PlanError(problems)
    return Plan(
        manifest.name,
        tuple(records),
        tuple(actions),
        (),
        {"allow_destroy": consent.allow_destroy, "allow_disruptive": consent.allow_disruptive},
    )
