"""Judging a saved plan again, because a plan file is data from a file.

Nothing a plan file says is trusted to carry consent: before a saved plan runs, under the
arrays' locks and against one fresh observe of each,

* its MAC must match the state store's key (an edited plan, or one made with another store,
  is refused);
* every array must be the one it was made for (the provider's identity), and every object it
  depends on must have the fingerprint it had (else it is stale: the changes are listed);
* each action's risk is rated again against the live object; protection comes from the state
  store (and the plan's own list, which can only add); an object is deleted only if the store
  says storplan owns it; the command line's consent is applied as ``plan`` applies it; actions
  the plan file already blocked stay blocked;
* preflight runs again (limits, live checks, the provider's hook).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..errors import ApplyRefused, PlanError
from ..plan.actions import Action, Risk
from ..plan.builder import ArrayPlan
from ..plan.checks import Consent, apply_consent, check_capabilities
from ..plan.preflight import preflight
from ..plan.view import ABSENT, ArrayView
from ..protection import protected_keys, refused

if TYPE_CHECKING:
    from ..plan.document import ArrayRecord, Plan
    from ..session import Session
    from ..state import StateStore

__all__ = ["check_signature", "judge_array", "stale_changes"]


def check_signature(plan: Plan, store: StateStore) -> None:
    """Refuse a plan whose MAC does not match this state store."""
    if not plan.signed_by(store.secret_key(create=False)):
        raise ApplyRefused(
            "the saved plan was changed after storplan wrote it, or was made with another "
            f"state store than {store.location}",
            hint="nothing was changed; run storplan plan --out again with this state store",
        )


def stale_changes(record: ArrayRecord, view: ArrayView) -> list[str]:
    """What changed since the plan was made, one line per object."""
    changed = []
    for key, fingerprint in sorted(record.fingerprints.items()):
        now = view.fingerprint(key)
        if now == fingerprint:
            continue
        if fingerprint == ABSENT:
            changed.append(f"{record.name}: {key} exists now (it did not)")
        elif now == ABSENT:
            changed.append(f"{record.name}: {key} is gone")
        else:
            changed.append(f"{record.name}: {key} changed")
    return changed


def judge_array(
    plan: Plan,
    record: ArrayRecord,
    session: Session,
    view: ArrayView,
    store: StateStore,
    consent: Consent,
) -> list[Action]:
    """The actions of one array of a saved plan, re-rated and re-blocked from the live state
    and the store (see the module docstring).

    Raises:
        ApplyRefused: the array is another one, or the plan is stale.
        PlanError: preflight found what the array would refuse.
    """
    identity = session.provider.identity()
    if identity != record.identity:
        raise ApplyRefused(
            f"array {record.name}: the plan was made for array {record.identity}, but "
            f"{record.provider} reaches {identity}",
            hint="nothing was changed; run storplan plan again",
        )
    changed = stale_changes(record, view)
    if changed:
        raise ApplyRefused(
            f"the plan is stale: {len(changed)} object(s) changed since it was made:\n  "
            + "\n  ".join(changed),
            hint="nothing was changed; run storplan plan again",
        )
    owned = store.owned(record.array_key)
    protected = protected_keys(owned) | set(record.protected)
    actions = [a for a in plan.actions if a.array == record.name]
    renamed = {str(a.key): a.op.previous(a.params) for a in actions if a.op.previous is not None}
    judged = []
    for action in actions:
        key = str(action.key)
        live = view.lookup(renamed.get(key) or action.key)
        risk = action.op.rate(action.params, live)
        blocked = action.blocked or _refusal(action, risk, key, owned, protected)
        judged.append(replace(action, risk=risk, blocked=blocked, live=live))
    _preflight(record, session, view, judged)
    return apply_consent(judged, consent)


def _refusal(
    action: Action, risk: Risk, key: str, owned: dict[str, bool], protected: set[str]
) -> str:
    """Why the store forbids an action, or ``""``."""
    if refused(risk, key, protected):
        return f"{key} is protected"
    if action.is_delete and action.op.owns and key not in owned:
        return f"storplan does not own {key}: only what storplan created is deleted"
    return ""


def _preflight(
    record: ArrayRecord, session: Session, view: ArrayView, actions: Sequence[Action]
) -> None:
    array_plan = ArrayPlan(record.name, view, session.capabilities, session.limits)
    array_plan.actions = list(actions)
    check_capabilities(array_plan)
    declared: set[Any] = {str(a.key) for a in actions}
    preflight(array_plan, declared, session.provider)
    if array_plan.problems:
        raise PlanError(array_plan.problems)
