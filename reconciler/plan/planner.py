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

from ..errors import PermissionDenied, PlanError, StorplanError
from ..manifest.spec import ArraySpec, Manifest
from ..providers.kit.wrapper import ProviderWrapper
from .builder import ArrayPlan, Ownership, Problem
from .checks import Consent, apply_consent, check_capabilities
from .declared import protected_keys
from .diff_block import diff_hosts, diff_mappings, diff_pools, diff_volumes
from .diff_nas import diff_filesystems
from .document import ArrayRecord, Plan
from .order import order_actions
from .preflight import preflight
from .prune import diff_prune
from .view import ArrayView

if TYPE_CHECKING:
    from ..session import Session

__all__ = ["PlanError", "ReadOnlyProvider", "array_key", "make_plan", "protected_keys"]

Connector = Callable[[ArraySpec], "Session"]
OwnershipLookup = Callable[[str], dict[str, Ownership]]


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


def array_key(provider_uri: str, system_id: str) -> str:
    """The identity of one managed system, independent of manifest naming and URI options."""
    from ..uri import parse_uri

    return f"{parse_uri(provider_uri).identity}#{system_id}"


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
    preflight(plan, array, session.provider)
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
