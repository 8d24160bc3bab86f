"""Preflight: what the array would refuse, found after planning and before any change.

The worst failure a storage tool has is an apply that changes an array and then fails
half-way.  So every plan, for ``plan`` and ``apply`` alike, goes through one stage that runs

* each action's catalogue checks: its parameters against the provider's limits (names, sizes,
  LUNs, initiator counts, export options) and against the live state and the rest of the plan
  (pools that exist and hold the element and provisioning, free disks, LUNs and initiators
  held by objects the manifest does not manage, CHAP secrets that can be read now);
* the cross-action capacity check (:func:`.checks.check_capacity`);
* the provider's own ``preflight`` hook, for what only it can tell in advance.

Every failure becomes a :class:`~.builder.Problem` with the manifest position of the value
that causes it; a plan with problems is refused (``plan`` exits 1, ``apply`` changes nothing).
"""

from __future__ import annotations

from typing import Any

from ..catalogue import Params
from ..keys import Key, ObjectKind
from .builder import ArrayPlan
from .checks import check_capacity

__all__ = ["PlanContext", "preflight"]


class PlanContext:
    """The catalogue's :class:`~storplan.catalogue.Context` over one array plan."""

    def __init__(self, plan: ArrayPlan, declared: set[str]) -> None:
        self.plan = plan
        self.limits = plan.limits
        self._declared = declared
        self._created: dict[str, Params] = {}
        self._removed: set[str] = set()
        for action in plan.actions:
            key = str(action.key)
            if action.is_delete:
                self._removed.add(key)
            elif action.verb == "create":
                self._created[key] = action.params
                if action.op.kind is ObjectKind.REPLICA:  # its target is a new volume
                    self._created[str(Key.of(ObjectKind.VOLUME, key.partition(":")[2]))] = {
                        **action.params,
                        "thin": action.params["kind"] == "clone",
                    }

    def live(self, key: Key) -> Any:
        return self.plan.view.lookup(key)

    def planned(self, key: Key) -> Params | None:
        return self._created.get(str(key))

    def managed(self, key: Key) -> bool:
        return str(key) in self._declared

    def removed(self, key: Key) -> bool:
        return str(key) in self._removed

    def lun_holder(self, host: str, lun: int) -> str | None:
        return self.plan.view.lun_holders.get((host, lun))

    def initiator_holder(self, initiator: str) -> str | None:
        return self.plan.view.initiator_owner.get(initiator)

    def secret_problem(self, reference: Params) -> str | None:
        from ..credentials import SecretRef

        return SecretRef.from_dict(dict(reference)).problem()


def preflight(plan: ArrayPlan, declared: set[str], provider: Any) -> None:
    """Add a problem to ``plan`` for everything its actions would be refused for
    (``declared``: the keys the manifest names, see :func:`.declared.declared_keys`)."""
    context = PlanContext(plan, declared)
    for action in plan.actions:
        findings = action.op.check_limits(action.params, plan.limits)
        for check in action.op.checks:
            findings += check(action.params, context)
        for finding in findings:
            plan.problem(finding.message, finding.hint, action.mark(finding.param), finding.code)
    check_capacity(plan)
    hook = getattr(provider, "preflight", None)
    if hook is None or not plan.actions:
        return
    from storplan.providers.kit.base import Request

    requests = [Request(a.operation, a.params) for a in plan.actions]
    for refusal in hook(requests, plan.view.state):
        action = plan.actions[refusal.index]
        plan.problem(refusal.message, refusal.hint, action.mark(refusal.param), "provider.refused")
