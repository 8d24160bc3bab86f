"""Checks over a whole array plan: capabilities, capacity, consent.

* Capabilities: every action's operation (with its parameters: thin or thick, grow or shrink,
  a chosen LUN, export options) must be declared by the provider — the catalogue says which.
* Capacity: per pool, thick allocations must fit the free space and all promised sizes the
  thin over-subscription limit, like the array itself would require; a pool the plan creates
  is as large as its disks, and a copy of a volume the plan creates is as large as that one.
* Consent: destructive actions need ``--allow-destroy``; disruptive ones ``--allow-disruptive``
  (implied by ``--allow-destroy``).  Blocks propagate to every action that depends on a
  blocked one, so apply can refuse before touching anything.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..keys import Key
from ..model.enums import Capability
from ..size import Size
from .actions import Action, Risk
from .builder import ArrayPlan

__all__ = ["Consent", "apply_consent", "check_capabilities", "check_capacity"]


def check_capabilities(plan: ArrayPlan) -> None:
    """A problem for each capability an action needs that the provider did not declare."""
    missing: dict[Capability, Action] = {}
    for action in plan.actions:
        for capability in action.op.capabilities(action.params, action.live):
            if capability not in plan.capabilities:
                missing.setdefault(capability, action)
    for capability, action in sorted(missing.items()):
        plan.problem(
            f"provider {plan.capabilities.provider!r} does not support "
            f"{capability.value!r}, needed by {action.id}",
            "change the manifest or use a provider that declares it",
            action.mark(),
            "capability.missing",
        )


def _planned_sizes(plan: ArrayPlan) -> dict[str, tuple[int, bool]]:
    """Size and provisioning of the volumes this plan creates, by name."""
    return {
        a.params["volume"]: (a.params["size"], a.params["thin"])
        for a in plan.actions
        if a.operation == "create_volume"
    }


def _growth(
    plan: ArrayPlan, action: Action, planned: dict[str, tuple[int, bool]]
) -> tuple[str, int, int] | None:
    """(pool name, thick bytes, promised bytes) an action adds to a pool, if any."""
    p, op = action.params, action.operation
    if op == "create_volume":
        return p["pool"], 0 if p["thin"] else p["size"], p["size"]
    if op == "create_filesystem":
        return p["pool"], p["size"], p["size"]
    if op in ("resize_volume", "resize_filesystem"):
        live = action.live
        if live is None:
            return None
        delta = p["size"] - live.size
        thin = getattr(live, "thin", False)
        return plan.view.pool_names.get(live.pool_id, ""), 0 if thin else delta, delta
    if op == "create_replica":
        source = plan.view.volumes.get(p["source"])
        size, thin = (
            (source.size, source.thin)
            if source is not None
            else planned.get(p["source"], (0, True))
        )
        thin = p["kind"] == "clone" or thin
        return p["pool"], 0 if thin else size, size
    return None


def _new_pool_sizes(plan: ArrayPlan) -> dict[str, int]:
    """The size of each pool the plan creates: the sum of its disks."""
    sizes = {}
    for action in plan.actions:
        if action.operation == "create_pool":
            disks = [plan.view.lookup(Key.of("disk", d)) for d in action.params["disks"]]
            sizes[action.params["pool"]] = sum(int(d.size) for d in disks if d is not None)
    return sizes


def check_capacity(plan: ArrayPlan) -> None:
    """A problem for each pool the plan would overfill (see the module docstring), at the
    manifest position of the action that tips it over (the array would refuse that one, after
    the actions before it had run)."""
    thick: dict[str, int] = {}
    promised: dict[str, int] = {}
    over_free: dict[str, Action] = {}
    over_limit: dict[str, Action] = {}
    planned = _planned_sizes(plan)
    new_pools = _new_pool_sizes(plan)
    for action in plan.actions:
        growth = _growth(plan, action, planned)
        if growth is None or growth[2] <= 0:
            continue
        pool, allocated, subscribed = growth
        thick[pool] = thick.get(pool, 0) + allocated
        promised[pool] = promised.get(pool, 0) + subscribed
        live_pool: Any = plan.view.pools.get(pool)
        free = new_pools.get(pool) if live_pool is None else live_pool.free
        if allocated and free is not None and thick[pool] > free:
            over_free.setdefault(pool, action)
        limit = None if live_pool is None else live_pool.oversubscription_limit
        if limit is not None and live_pool.subscribed + promised[pool] > live_pool.total * limit:
            over_limit.setdefault(pool, action)
    for name in sorted(promised):
        live_pool = plan.view.pools.get(name)
        if name in over_free:
            where = _size_mark(over_free[name])
            if live_pool is None:
                plan.problem(
                    f"new pool {name!r} will have {Size(new_pools[name]).human()}; the plan "
                    f"allocates {Size(thick[name]).human()} in it",
                    "give it more disks, use thin volumes or smaller sizes",
                    where,
                    "capacity_exceeded",
                )
            else:
                plan.problem(
                    f"pool {name!r} has {Size(live_pool.free).human()} free; the plan "
                    f"allocates {Size(thick[name]).human()}",
                    "use thin volumes, smaller sizes or another pool",
                    where,
                    "capacity_exceeded",
                )
        if name in over_limit:
            plan.problem(
                f"pool {name!r} would promise "
                f"{Size(live_pool.subscribed + promised[name]).human()}, over its limit of "
                f"{live_pool.oversubscription_limit:g} x {Size(live_pool.total).human()}",
                "use smaller sizes or another pool",
                _size_mark(over_limit[name]),
                "capacity_exceeded",
            )


def _size_mark(action: Action) -> Any:
    """Where the size an action adds to a pool is written (a replica's: its entry)."""
    return action.mark("size" if "size" in action.params else "")


@dataclass(frozen=True, slots=True)
class Consent:
    """What the command line allows."""

    allow_destroy: bool = False
    allow_disruptive: bool = False


def apply_consent(actions: list[Action], consent: Consent) -> list[Action]:
    """Block what the command line does not allow, and everything that depends on it."""
    allowed_disruptive = consent.allow_disruptive or consent.allow_destroy
    result: list[Action] = []
    blocked: dict[str, str] = {}
    for action in actions:  # in order: requirements come first
        reason = action.blocked
        if not reason and action.risk is Risk.DESTRUCTIVE and not consent.allow_destroy:
            reason = "destructive: run with --allow-destroy to allow it"
        elif not reason and action.risk is Risk.DISRUPTIVE and not allowed_disruptive:
            reason = "disruptive: run with --allow-disruptive to allow it"
        if not reason:
            for required in action.requires:
                if required in blocked:
                    reason = f"depends on blocked action {required}"
                    break
        if reason:
            blocked[action.id] = reason
            action = replace(action, blocked=reason)
        result.append(action)
    return result
