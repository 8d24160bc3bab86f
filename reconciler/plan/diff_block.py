"""Diffing the block part of an array entry: pools, hosts, volumes, mappings, snapshots,
replicas.  Objects are matched by name (or a declared previous name), never by position.

Each function adds actions to an :class:`~.builder.ArrayPlan` in dependency order (pools
before volumes, unmaps before maps), which is what lets the builder derive the edges.
"""

from __future__ import annotations

from ..manifest.spec import ArraySpec, HostSpec, VolumeSpec
from ..model.enums import ReplicaKind
from .actions import Change, Risk
from .builder import ArrayPlan

__all__ = ["diff_hosts", "diff_mappings", "diff_pools", "diff_volumes"]


def _secret(ref: object) -> dict[str, object]:
    env, file, prompt = (getattr(ref, k) for k in ("env", "file", "prompt"))
    return {"env": env} if env else {"file": file} if file else {"prompt": bool(prompt)}


def diff_pools(plan: ArrayPlan, array: ArraySpec) -> None:
    for pool in array.pools:
        key = f"pool:{pool.name}"
        if pool.name in plan.view.pools:
            continue
        if not pool.disks:
            plan.problem(
                f"pool {pool.name!r} does not exist on {plan.view.system.name}",
                "create it on the array, or list its disks to let storplan create it",
            )
            continue
        plan.add(
            "create_pool",
            "pool",
            pool.name,
            "create",
            {"pool": pool.name, "disks": list(pool.disks)},
            provides=(key,),
            depends_on=(key,),
            changes=(Change("disks", None, list(pool.disks)),),
        )


def _chap_actions(plan: ArrayPlan, host: HostSpec, live_users: dict[str, str | None]) -> None:
    for initiator in host.initiators:
        if initiator.chap is None or live_users.get(initiator.id) == initiator.chap.user:
            continue
        plan.add(
            "set_chap",
            "initiator",
            f"{host.name}/{initiator.id}",
            "update",
            {
                "host": host.name,
                "initiator": initiator.id,
                "user": initiator.chap.user,
                "secret": _secret(initiator.chap.secret),
            },
            after=(f"host:{host.name}", f"initiator:{initiator.id}"),
            depends_on=(f"host:{host.name}",),
            changes=(Change("chap_user", live_users.get(initiator.id), initiator.chap.user),),
        )


def diff_hosts(plan: ArrayPlan, array: ArraySpec) -> None:
    """Initiator changes in an order that never strands a host or an initiator.

    An initiator another host claims is removed first, for every host, so a move is released
    before it is claimed whatever the order of the hosts in the manifest.  Any other removal
    waits for the host's additions: a host whose initiator is replaced (a new HBA) keeps
    access throughout, and arrays where a host exists only through its initiators (LIO) never
    see it empty.
    """
    wanted_by = {i.id: host.name for host in array.hosts for i in host.initiators}
    later: list[tuple[HostSpec, str]] = []
    for host in array.hosts:
        live = plan.view.hosts.get(host.name)
        if live is None:
            continue
        wanted = {i.id for i in host.initiators}
        for initiator in sorted({i.id for i in live.initiators} - wanted):
            if wanted_by.get(initiator, host.name) != host.name:
                _remove_initiator(plan, host, initiator, ())
            else:
                later.append((host, initiator))
    for host in array.hosts:
        _claim_host(plan, host)
    for host, initiator in later:
        added = tuple(f"initiator:{i.id}" for i in host.initiators)
        _remove_initiator(plan, host, initiator, added)


def _remove_initiator(
    plan: ArrayPlan, host: HostSpec, initiator: str, after: tuple[str, ...]
) -> None:
    plan.add(
        "remove_initiator",
        "initiator",
        f"{host.name}/{initiator}",
        "delete",
        {"host": host.name, "initiator": initiator},
        risk=Risk.DISRUPTIVE,
        provides=(f"initiator-release:{initiator}",),
        after=after,
        depends_on=(f"host:{host.name}",),
        changes=(Change("initiators", initiator, None),),
    )


def _released(plan: ArrayPlan, host: str, initiators: set[str]) -> tuple[str, ...]:
    """Release keys of the initiators another host holds now."""
    return tuple(
        f"initiator-release:{i}"
        for i in sorted(initiators)
        if plan.view.initiator_owner.get(i, host) != host
    )


def _claim_host(plan: ArrayPlan, host: HostSpec) -> None:
    key = f"host:{host.name}"
    live = plan.view.hosts.get(host.name)
    wanted = {i.id for i in host.initiators}
    if live is None:
        if any(old in plan.view.hosts for old in host.previous_names):
            plan.problem(
                f"host {host.name!r} exists under a previous name, and hosts cannot "
                "be renamed through the provider contract",
                "rename it on the array, or use its current name",
            )
            return
        plan.add(
            "create_access_group",
            "host",
            host.name,
            "create",
            {"host": host.name, "initiators": sorted(wanted)},
            provides=(key, *(f"initiator:{i}" for i in wanted)),
            before_removal=_released(plan, host.name, wanted),
            depends_on=(key,),
            changes=(Change("initiators", None, sorted(wanted)),),
        )
        _chap_actions(plan, host, {})
        return
    for initiator in sorted(wanted - {i.id for i in live.initiators}):
        plan.add(
            "add_initiator",
            "initiator",
            f"{host.name}/{initiator}",
            "create",
            {"host": host.name, "initiator": initiator},
            provides=(f"initiator:{initiator}",),
            before_removal=_released(plan, host.name, {initiator}),
            depends_on=(key,),
            changes=(Change("initiators", None, initiator),),
        )
    _chap_actions(plan, host, {i.id: i.chap_user for i in live.initiators})


def _rename(plan: ArrayPlan, volume: VolumeSpec) -> str | None:
    """The live name to use for ``volume``: its own, or a previous one (planning a rename)."""
    if volume.name in plan.view.volumes:
        return volume.name
    for old in volume.previous_names:
        if old in plan.view.volumes:
            plan.add(
                "rename_volume",
                "volume",
                volume.name,
                "update",
                {"volume": old, "name": volume.name},
                provides=(f"volume:{volume.name}",),
                depends_on=(f"volume:{old}",),
                changes=(Change("name", old, volume.name),),
            )
            return old
    return None


def diff_volumes(plan: ArrayPlan, array: ArraySpec) -> None:
    for volume in array.volumes:
        key = f"volume:{volume.name}"
        size = plan.aligned(volume.size)
        notes = (
            (f"{volume.size} is rounded up to {size} by the array",) if size != volume.size else ()
        )
        current = _rename(plan, volume)
        if current is None:
            plan.add(
                "create_volume",
                "volume",
                volume.name,
                "create",
                {
                    "volume": volume.name,
                    "pool": volume.pool,
                    "size": int(size),
                    "thin": volume.thin,
                },
                provides=(key,),
                after=(f"pool:{volume.pool}",),
                depends_on=(key,),
                changes=(
                    Change("pool", None, volume.pool),
                    Change("size", None, str(size)),
                    Change("thin", None, volume.thin),
                ),
                notes=notes,
            )
        else:
            _update_volume(plan, volume, current, size, notes)
        _snapshots(plan, volume, current or volume.name)
        _replicas(plan, volume, current or volume.name)


def _update_volume(
    plan: ArrayPlan, volume: VolumeSpec, current: str, size: int, notes: tuple[str, ...]
) -> None:
    live = plan.view.volumes[current]
    pool = plan.view.pool_names.get(live.pool_id, live.pool_id)
    if pool != volume.pool or live.thin != volume.thin:
        plan.problem(
            f"volume {volume.name!r} is {'thin' if live.thin else 'thick'} in pool "
            f"{pool!r}; the manifest wants {'thin' if volume.thin else 'thick'} in "
            f"{volume.pool!r}",
            "moving or converting volumes is not supported: "
            "create a new volume (or a copy) instead",
        )
        return
    plan.resize(
        "volume",
        volume.name,
        current,
        live.size,
        size,
        protect=volume.protect,
        allow_shrink=volume.allow_shrink,
        notes=notes,
    )


def _snapshots(plan: ArrayPlan, volume: VolumeSpec, live_name: str) -> None:
    for snapshot in volume.snapshots:
        if (live_name, snapshot.name) in plan.view.snapshots:  # a renamed volume keeps them
            continue
        key = f"snapshot:{volume.name}/{snapshot.name}"
        plan.add(
            "create_snapshot",
            "snapshot",
            f"{volume.name}/{snapshot.name}",
            "create",
            {"volume": volume.name, "snapshot": snapshot.name},
            provides=(key,),
            after=(f"volume:{volume.name}",),
            depends_on=(key,),
        )


def _replicas(plan: ArrayPlan, volume: VolumeSpec, live_name: str) -> None:
    for replica in volume.replicas:
        key = f"volume:{replica.name}"
        existing = plan.view.replicas.get(replica.name)
        if replica.name in plan.view.volumes:
            source = plan.view.volume_names.get(existing.source_volume_id) if existing else None
            if existing is None or source != live_name or existing.kind != replica.kind:
                plan.problem(
                    f"volume {replica.name!r} exists but is not a {replica.kind} of "
                    f"{volume.name!r}",
                    "choose another replica name",
                )
            continue
        pool = replica.pool or volume.pool
        plan.add(
            "create_replica",
            "replica",
            replica.name,
            "create",
            {
                "source": volume.name,
                "replica": replica.name,
                "kind": ReplicaKind(replica.kind).value,
                "pool": pool,
            },
            provides=(key,),
            after=(f"volume:{volume.name}", f"pool:{pool}"),
            depends_on=(key, f"volume:{volume.name}"),
            changes=(Change("kind", None, replica.kind.value),),
        )


def diff_mappings(plan: ArrayPlan, array: ArraySpec) -> None:
    """Unmaps of every volume first, then maps, so a LUN can move between volumes."""
    wanted: dict[tuple[str, str], int | None] = {
        (v.name, m.host): m.lun for v in array.volumes for m in v.mappings
    }
    managed = {v.name for v in array.volumes}
    renamed = {old: v.name for v in array.volumes for old in v.previous_names}
    for (live_volume, host), mapping in sorted(plan.view.mappings.items()):
        volume = renamed.get(live_volume, live_volume)
        if volume not in managed:
            continue
        lun = wanted.get((volume, host), -1)
        if lun is None or lun == mapping.lun:
            continue
        plan.add(
            "unmap_volume",
            "mapping",
            f"{volume}@{host}",
            "delete",
            {"volume": volume, "host": host},
            risk=Risk.DISRUPTIVE,
            provides=(f"mapping:{volume}@{host}", f"lun:{host}/{mapping.lun}"),
            after=(f"volume:{volume}",),
            depends_on=(f"mapping:{live_volume}@{host}",),
            changes=(Change("lun", mapping.lun, None),),
        )
    live_name = {new: old for old, new in renamed.items() if old in plan.view.volumes}
    # Explicit LUNs first: a mapping whose LUN the array picks must not take one the manifest
    # gives to another volume of the same host.
    for (volume, host), lun in sorted(wanted.items(), key=lambda i: (i[1] is None, i[0])):
        live = plan.view.mappings.get((live_name.get(volume, volume), host))
        if live is not None and (lun is None or lun == live.lun):
            continue
        plan.add(
            "map_volume",
            "mapping",
            f"{volume}@{host}",
            "create",
            {"volume": volume, "host": host, "lun": lun},
            provides=(f"mapping:{volume}@{host}", f"lun-fixed:{host}"),
            after=(
                f"volume:{volume}",
                f"host:{host}",
                *((f"lun-fixed:{host}",) if lun is None else ()),
            ),
            before_removal=(
                f"mapping:{volume}@{host}",
                *((f"lun:{host}/{lun}",) if lun is not None else ()),
            ),
            depends_on=(f"mapping:{volume}@{host}",),
            changes=(Change("lun", None if live is None else live.lun, lun),),
        )
