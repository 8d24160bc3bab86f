"""Checks over a whole array plan before anything runs: capabilities, capacity, consent.

* Capabilities: every action's operation (with its parameters: thin or thick, grow or shrink,
  a chosen LUN, export options) must be declared by the provider.
* Capacity: per pool, thick allocations must fit the free space and all promised sizes the
  thin over-subscription limit, like the array itself would require.
* Consent: destructive actions need ``--allow-destroy``; disruptive ones ``--allow-disruptive``
  (implied by ``--allow-destroy``).  Blocks propagate to every action that depends on a
  blocked one, so apply can refuse before touching anything.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..model.enums import Capability, Provisioning
from ..size import Size
from .actions import Action, Risk
from .builder import ArrayPlan

__all__ = [
    "Consent",
    "apply_consent",
    "check_capabilities",
    "check_capacity",
    "check_provisioning",
]

_FIXED = {
    "create_pool": (Capability.POOL_CREATE,),
    "delete_pool": (Capability.POOL_CREATE,),
    "create_access_group": (Capability.ACCESS_GROUPS,),
    "delete_access_group": (Capability.ACCESS_GROUPS,),
    "add_initiator": (Capability.ACCESS_GROUPS,),
    "remove_initiator": (Capability.ACCESS_GROUPS,),
    "set_chap": (Capability.CHAP,),
    "rename_volume": (Capability.VOLUME_RENAME,),
    "delete_volume": (Capability.VOLUMES,),
    "unmap_volume": (Capability.MASKING,),
    "create_snapshot": (Capability.SNAPSHOTS,),
    "delete_snapshot": (Capability.SNAPSHOTS,),
    "create_filesystem": (Capability.FILESYSTEMS,),
    "delete_filesystem": (Capability.FILESYSTEMS,),
    "create_fs_snapshot": (Capability.FS_SNAPSHOTS,),
    "delete_fs_snapshot": (Capability.FS_SNAPSHOTS,),
    "delete_export": (Capability.NFS_EXPORTS,),
}
_REPLICAS = {
    "clone": Capability.CLONES,
    "copy": Capability.COPIES,
    "mirror_sync": Capability.MIRROR_SYNC,
    "mirror_async": Capability.MIRROR_ASYNC,
}


def needed_capabilities(action: Action) -> list[Capability]:
    """The capabilities one action needs, parameters included."""
    p, op = action.params, action.operation
    if op in _FIXED:
        return list(_FIXED[op])
    if op == "create_volume":
        return [
            Capability.VOLUMES,
            Capability.VOLUME_THIN if p["thin"] else Capability.VOLUME_THICK,
        ]
    if op in ("resize_volume", "resize_filesystem"):
        grow = action.risk is Risk.SAFE
        if op == "resize_volume":
            return [Capability.VOLUME_GROW if grow else Capability.VOLUME_SHRINK]
        return [Capability.FS_GROW if grow else Capability.FS_SHRINK]
    if op == "map_volume":
        return [Capability.MASKING] + (
            [Capability.MASKING_LUN_CHOICE] if p.get("lun") is not None else []
        )
    if op == "create_replica":
        return [_REPLICAS[p["kind"]]]
    if op in ("create_export", "modify_export"):
        needs = [Capability.NFS_EXPORTS]
        if not p["root_squash"]:
            needs.append(Capability.NFS_ROOT_SQUASH)
        if p["anon_uid"] is not None or p["anon_gid"] is not None:
            needs.append(Capability.NFS_ANON_IDS)
        if p["security"] != ["sys"]:
            needs.append(Capability.NFS_SECURITY)
        return needs
    return []


def check_capabilities(plan: ArrayPlan) -> None:
    missing: dict[Capability, str] = {}
    for action in plan.actions:
        for capability in needed_capabilities(action):
            if capability not in plan.capabilities:
                missing.setdefault(capability, action.id)
    for capability, action_id in sorted(missing.items()):
        plan.problem(
            f"provider {plan.capabilities.provider!r} does not support "
            f"{capability.value!r}, needed by {action_id}",
            "change the manifest or use a provider that declares it",
        )


def _growth(plan: ArrayPlan, action: Action) -> tuple[str, int, int] | None:
    """(pool name, thick bytes, promised bytes) an action adds to a pool, if any."""
    p, op = action.params, action.operation
    if op == "create_volume":
        return p["pool"], 0 if p["thin"] else p["size"], p["size"]
    if op == "create_filesystem":
        return p["pool"], p["size"], p["size"]
    if op in ("resize_volume", "resize_filesystem"):
        name = str(p.get("volume") or p.get("filesystem"))
        table: dict[str, Any] = (
            plan.view.volumes if op == "resize_volume" else plan.view.filesystems
        )
        live = table.get(name)
        if live is None:
            return None
        delta = p["size"] - live.size
        thin = getattr(live, "thin", False)
        return plan.view.pool_names.get(live.pool_id, ""), 0 if thin else delta, delta
    if op == "create_replica":
        source = plan.view.volumes.get(p["source"])
        size = source.size if source is not None else 0
        thin = p["kind"] == "clone" or (source is not None and source.thin)
        return p["pool"], 0 if thin else size, size
    return None


def check_provisioning(plan: ArrayPlan) -> None:
    """Thin volumes only in pools that hold thin volumes, thick ones in pools that hold thick."""
    for action in plan.actions:
        if action.operation != "create_volume":
            continue
        pool = plan.view.pools.get(action.params["pool"])
        wanted = Provisioning.THIN if action.params["thin"] else Provisioning.THICK
        if pool is not None and wanted not in pool.provisioning:
            plan.problem(
                f"pool {pool.name!r} cannot hold {wanted.value} volumes, needed by {action.id}",
                f"set thin: {'false' if action.params['thin'] else 'true'} or use another pool",
            )


def check_capacity(plan: ArrayPlan) -> None:
    thick: dict[str, int] = {}
    promised: dict[str, int] = {}
    for action in plan.actions:
        growth = _growth(plan, action)
        if growth is None or growth[2] <= 0:
            continue
        pool, allocated, subscribed = growth
        thick[pool] = thick.get(pool, 0) + allocated
        promised[pool] = promised.get(pool, 0) + subscribed
    for name in sorted(promised):
        live_pool = plan.view.pools.get(name)
        if live_pool is None:
            continue  # a pool this plan creates: the array checks it
        if thick[name] > live_pool.free:
            plan.problem(
                f"pool {name!r} has {Size(live_pool.free).human()} free; the plan "
                f"allocates {Size(thick[name]).human()}",
                "use thin volumes, smaller sizes or another pool",
            )
        limit = live_pool.oversubscription_limit
        if limit is not None and live_pool.subscribed + promised[name] > live_pool.total * limit:
            plan.problem(
                f"pool {name!r} would promise "
                f"{Size(live_pool.subscribed + promised[name]).human()}, over its limit of "
                f"{limit:g} x {Size(live_pool.total).human()}",
                "use smaller sizes or another pool",
            )


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
