"""Pruning: deleting what storplan created and the manifest no longer names.

Only objects recorded as owned by storplan (in the state store) are candidates, only when the
array entry says ``prune: true``, and an object that was ``protect``ed when storplan last
applied it stays protected after its entry is removed (Terraform's prevent_destroy lesson).
Dependents are removed first: mappings before volumes and hosts, snapshots before their
volume, exports and snapshots before their file system.
"""

from __future__ import annotations

from ..manifest.spec import ArraySpec
from .actions import Change, Risk
from .builder import ArrayPlan

__all__ = ["diff_prune"]


def _declared(array: ArraySpec) -> set[str]:
    keys = {f"pool:{p.name}" for p in array.pools}
    keys |= {f"host:{h.name}" for h in array.hosts}
    for v in array.volumes:
        keys.add(f"volume:{v.name}")
        keys |= {f"volume:{old}" for old in v.previous_names}
        keys |= {f"volume:{r.name}" for r in v.replicas}
        for name in (v.name, *v.previous_names):  # a renamed volume keeps its snapshots
            keys |= {f"snapshot:{name}/{s.name}" for s in v.snapshots}
    for f in array.filesystems:
        keys.add(f"filesystem:{f.name}")
        keys |= {f"fs_snapshot:{f.name}/{s.name}" for s in f.snapshots}
    return keys


def _delete(
    plan: ArrayPlan,
    operation: str,
    kind: str,
    target: str,
    params: dict[str, object],
    risk: Risk,
    before_removal: tuple[str, ...] = (),
) -> None:
    key = f"{kind}:{target}"
    action = plan.add(
        operation,
        kind,
        target,
        "delete",
        params,
        risk=risk,
        provides=(key,),
        before_removal=before_removal,
        depends_on=(key,),
        changes=(Change(kind, target, None),),
    )
    owned = plan.owned.get(key)
    if owned is not None and owned.protect:
        plan.block(action.id, f"{kind} {target!r} was protected when storplan last applied it")


def _unmap_all(plan: ArrayPlan, pairs: list[tuple[str, str]]) -> tuple[str, ...]:
    keys = []
    for volume, host in pairs:
        key = f"mapping:{volume}@{host}"
        if not plan.removers_of(key):
            plan.add(
                "unmap_volume",
                "mapping",
                f"{volume}@{host}",
                "delete",
                {"volume": volume, "host": host},
                risk=Risk.DISRUPTIVE,
                provides=(key,),
                depends_on=(key,),
                changes=(Change("lun", None, None),),
            )
        keys.append(key)
    return tuple(keys)


def diff_prune(plan: ArrayPlan, array: ArraySpec) -> None:
    """Plan the deletion of owned, undeclared objects (only with ``prune: true``)."""
    if not array.prune:
        return
    declared = _declared(array)
    view = plan.view
    gone = sorted(k for k in plan.owned if k not in declared and view.lookup(k) is not None)
    for key in gone:
        kind, _, name = key.partition(":")
        if kind == "snapshot":
            volume, _, snap = name.partition("/")
            _delete(
                plan,
                "delete_snapshot",
                "snapshot",
                name,
                {"volume": volume, "snapshot": snap},
                Risk.DESTRUCTIVE,
            )
        elif kind == "fs_snapshot":
            fs, _, snap = name.partition("/")
            _delete(
                plan,
                "delete_fs_snapshot",
                "fs_snapshot",
                name,
                {"filesystem": fs, "snapshot": snap},
                Risk.DESTRUCTIVE,
            )
    for key in gone:
        kind, _, name = key.partition(":")
        if kind == "volume":
            unmaps = _unmap_all(plan, [(v, h) for (v, h) in sorted(view.mappings) if v == name])
            snaps = tuple(f"snapshot:{v}/{s}" for (v, s) in sorted(view.snapshots) if v == name)
            _delete(
                plan,
                "delete_volume",
                "volume",
                name,
                {"volume": name},
                Risk.DESTRUCTIVE,
                unmaps + snaps,
            )
        elif kind == "host":
            unmaps = _unmap_all(plan, [(v, h) for (v, h) in sorted(view.mappings) if h == name])
            _delete(
                plan, "delete_access_group", "host", name, {"host": name}, Risk.DISRUPTIVE, unmaps
            )
        elif kind == "filesystem":
            filesystem = view.filesystems[name]
            exports = []
            for path, export in sorted(view.exports.items()):
                if export.filesystem_id == filesystem.id:
                    _delete(plan, "delete_export", "export", path, {"path": path}, Risk.DISRUPTIVE)
                    exports.append(f"export:{path}")
            snaps = tuple(
                f"fs_snapshot:{f}/{s}" for (f, s) in sorted(view.fs_snapshots) if f == name
            )
            _delete(
                plan,
                "delete_filesystem",
                "filesystem",
                name,
                {"filesystem": name},
                Risk.DESTRUCTIVE,
                (*exports, *snaps),
            )
    for key in gone:
        kind, _, name = key.partition(":")
        if kind == "pool":
            volumes = tuple(k for k in gone if k.startswith(("volume:", "filesystem:")))
            _delete(plan, "delete_pool", "pool", name, {"pool": name}, Risk.DESTRUCTIVE, volumes)
