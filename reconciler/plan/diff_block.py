"""Diffing the block part of an array entry: pools, hosts, volumes, mappings, snapshots,
replicas.  Objects are matched by name (or a declared previous name), never by position.

Each function adds actions to an :class:`~.builder.ArrayPlan` in dependency order (pools
before volumes, unmaps before maps), which is what lets the builder derive the edges.
"""

from __future__ import annotations

from typing import Any

from ..keys import Key, ObjectKind, chap_key, fixed_luns_key, lun_key, release_key
from ..manifest.requests import chap_params
from ..manifest.spec import ArraySpec, HostSpec, VolumeSpec
from ..model.enums import ReplicaKind
from .actions import Change, Origin
from .builder import ArrayPlan

__all__ = ["diff_hosts", "diff_mappings", "diff_pools", "diff_volumes"]

K = ObjectKind
# where each parameter of set_chap is written in an initiator entry (so that a message about
# an unreadable secret points at that secret)
_CHAP_FIELDS = (
    ("user", "chap.user"),
    ("secret", "chap.secret"),
    ("mutual_user", "chap.mutual.user"),
    ("mutual_secret", "chap.mutual.secret"),
)


def diff_pools(plan: ArrayPlan, array: ArraySpec) -> None:
    for pool in array.pools:
        key = Key.of(K.POOL, pool.name)
        if pool.name in plan.view.pools:
            continue
        if not pool.disks:
            plan.problem(
                f"pool {pool.name!r} does not exist on {plan.view.system.name}",
                "create it on the array, or list its disks to let storplan create it",
                Origin(pool).mark(),
                "ref.pool",
            )
            continue
        plan.add(
            "create_pool",
            {"pool": pool.name, "disks": list(pool.disks)},
            provides=(key,),
            depends_on=(key,),
            changes=(Change("disks", None, list(pool.disks)),),
            origin=Origin(pool, (("pool", "name"),)),
        )


def _chap_actions(plan: ArrayPlan, host: HostSpec, live: dict[str, Any]) -> None:
    for initiator in host.initiators:
        chap = initiator.chap
        if chap is None:
            continue
        current = live.get(initiator.id)
        mutual_user = chap.mutual.user if chap.mutual else None
        change = Change("chap_user", current.chap_user if current else None, chap.user)
        if (
            current is not None
            and current.chap_user == chap.user
            and current.mutual_chap_user == mutual_user
        ):
            if not _rotated(plan, host, initiator):
                continue
            change = Change("chap", "secret as last applied", "secret changed")
        plan.add(
            "set_chap",
            chap_params(host.name, initiator),
            provides=(chap_key(host.name),),
            after=(Key.of(K.HOST, host.name), Key.of(K.INITIATOR, host.name, initiator.id)),
            depends_on=(Key.of(K.HOST, host.name),),
            changes=(change,),
            origin=Origin(initiator, _CHAP_FIELDS),
        )


def _rotated(plan: ArrayPlan, host: HostSpec, initiator: Any) -> bool:
    """True if a CHAP secret differs from the one storplan last applied (a keyed digest)."""
    if plan.memory is None:
        return False
    target = Key.of(K.INITIATOR, host.name, initiator.id).target
    chap = initiator.chap
    if plan.memory.secret_changed(plan.array_key, target, chap.secret):
        return True
    return chap.mutual is not None and bool(
        plan.memory.secret_changed(plan.array_key, f"{target}#mutual", chap.mutual.secret)
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
        added = tuple(Key.of(K.INITIATOR, host.name, i.id) for i in host.initiators)
        _remove_initiator(plan, host, initiator, added)


def _remove_initiator(
    plan: ArrayPlan, host: HostSpec, initiator: str, after: tuple[Key, ...]
) -> None:
    plan.add(
        "remove_initiator",
        {"host": host.name, "initiator": initiator},
        provides=(release_key(initiator), Key.of(K.INITIATOR, host.name, initiator)),
        after=after,
        depends_on=(Key.of(K.HOST, host.name),),
        changes=(Change("initiators", initiator, None),),
        origin=Origin(host),
    )


def _released(plan: ArrayPlan, host: str, initiators: set[str]) -> tuple[str, ...]:
    """Release keys of the initiators another host holds now."""
    return tuple(
        release_key(i) for i in sorted(initiators) if plan.view.initiator_owner.get(i, host) != host
    )


def _claim_host(plan: ArrayPlan, host: HostSpec) -> None:
    key = Key.of(K.HOST, host.name)
    live = plan.view.hosts.get(host.name)
    wanted = {i.id for i in host.initiators}
    if live is None:
        if any(old in plan.view.hosts for old in host.previous_names):
            plan.problem(
                f"host {host.name!r} exists under a previous name, and hosts cannot "
                "be renamed through the provider contract",
                "rename it on the array, or use its current name",
                Origin(host).mark("previous_names"),
            )
            return
        plan.add(
            "create_access_group",
            {"host": host.name, "initiators": sorted(wanted)},
            provides=(key, *(Key.of(K.INITIATOR, host.name, i) for i in wanted)),
            before_removal=_released(plan, host.name, wanted),
            depends_on=(key,),
            changes=(Change("initiators", None, sorted(wanted)),),
            origin=Origin(host, (("host", "name"),)),
        )
        _chap_actions(plan, host, {})
        return
    by_id = {i.id: i for i in host.initiators}
    for initiator in sorted(wanted - {i.id for i in live.initiators}):
        plan.add(
            "add_initiator",
            {"host": host.name, "initiator": initiator},
            provides=(Key.of(K.INITIATOR, host.name, initiator),),
            before_removal=_released(plan, host.name, {initiator}),
            depends_on=(key,),
            changes=(Change("initiators", None, initiator),),
            origin=Origin(by_id[initiator]),
        )
    _chap_actions(plan, host, {i.id: i for i in live.initiators})


def _rename(plan: ArrayPlan, volume: VolumeSpec) -> str | None:
    """The live name to use for ``volume``: its own, or a previous one (planning a rename)."""
    if volume.name in plan.view.volumes:
        return volume.name
    for old in volume.previous_names:
        if old in plan.view.volumes:
            plan.add(
                "rename_volume",
                {"volume": old, "name": volume.name},
                provides=(Key.of(K.VOLUME, volume.name),),
                depends_on=(Key.of(K.VOLUME, old),),
                changes=(Change("name", old, volume.name),),
                origin=Origin(volume, (("volume", "previous_names"),)),
                live=plan.view.volumes[old],
            )
            return old
    return None


def diff_volumes(plan: ArrayPlan, array: ArraySpec) -> None:
    for volume in array.volumes:
        key = Key.of(K.VOLUME, volume.name)
        size = plan.aligned(volume.size)
        notes = (
            (f"{volume.size} is rounded up to {size} by the array",) if size != volume.size else ()
        )
        current = _rename(plan, volume)
        if current is None:
            plan.add(
                "create_volume",
                {
                    "volume": volume.name,
                    "pool": volume.pool,
                    "size": int(size),
                    "thin": volume.thin,
                },
                provides=(key,),
                after=(Key.of(K.POOL, volume.pool),),
                depends_on=(key,),
                changes=(
                    Change("pool", None, volume.pool),
                    Change("size", None, str(size)),
                    Change("thin", None, volume.thin),
                ),
                notes=notes,
                origin=Origin(volume, (("volume", "name"),)),
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
            Origin(volume).mark("pool" if pool != volume.pool else "thin"),
            "volume.move",
        )
        return
    plan.resize(
        K.VOLUME,
        volume.name,
        live,
        size,
        protect=volume.protect,
        allow_shrink=volume.allow_shrink,
        notes=notes,
        origin=Origin(volume),
    )


def _snapshots(plan: ArrayPlan, volume: VolumeSpec, live_name: str) -> None:
    for snapshot in volume.snapshots:
        if (live_name, snapshot.name) in plan.view.snapshots:  # a renamed volume keeps them
            continue
        key = Key.of(K.SNAPSHOT, volume.name, snapshot.name)
        plan.add(
            "create_snapshot",
            {"volume": volume.name, "snapshot": snapshot.name},
            provides=(key,),
            after=(Key.of(K.VOLUME, volume.name),),
            depends_on=(key,),
            origin=Origin(snapshot, (("snapshot", "name"),)),
        )


def _replicas(plan: ArrayPlan, volume: VolumeSpec, live_name: str) -> None:
    for replica in volume.replicas:
        key = Key.of(K.VOLUME, replica.name)
        existing = plan.view.replicas.get(replica.name)
        if replica.name in plan.view.volumes:
            source = plan.view.volume_names.get(existing.source_volume_id) if existing else None
            if existing is None or source != live_name or existing.kind != replica.kind:
                plan.problem(
                    f"volume {replica.name!r} exists but is not a {replica.kind} of "
                    f"{volume.name!r}",
                    "choose another replica name",
                    Origin(replica).mark("name"),
                    "replica.conflict",
                )
            continue
        pool = replica.pool or volume.pool
        plan.add(
            "create_replica",
            {
                "source": volume.name,
                "replica": replica.name,
                "kind": ReplicaKind(replica.kind).value,
                "pool": pool,
            },
            provides=(key,),
            after=(Key.of(K.VOLUME, volume.name), Key.of(K.POOL, pool)),
            depends_on=(key, Key.of(K.VOLUME, volume.name)),
            changes=(Change("kind", None, replica.kind.value),),
            origin=Origin(replica, (("replica", "name"),)),
        )


def diff_mappings(plan: ArrayPlan, array: ArraySpec) -> None:
    """Unmaps of every volume first, then maps, so a LUN can move between volumes.  A map
    waits for the CHAP settings of its host: no LUN is exposed before authentication is."""
    wanted: dict[tuple[str, str], Any] = {
        (v.name, m.host): m for v in array.volumes for m in v.mappings
    }
    managed = {v.name for v in array.volumes}
    renamed = {old: v.name for v in array.volumes for old in v.previous_names}
    for (live_volume, host), mapping in sorted(plan.view.mappings.items()):
        volume = renamed.get(live_volume, live_volume)
        if volume not in managed:
            continue
        spec = wanted.get((volume, host))
        if spec is not None and (spec.lun is None or spec.lun == mapping.lun):
            continue
        plan.unmap(volume, host, live_volume=live_volume)
    live_name = {new: old for old, new in renamed.items() if old in plan.view.volumes}
    # Explicit LUNs first: a mapping whose LUN the array picks must not take one the manifest
    # gives to another volume of the same host.
    for (volume, host), spec in sorted(wanted.items(), key=lambda i: (i[1].lun is None, i[0])):
        lun = spec.lun
        live = plan.view.mappings.get((live_name.get(volume, volume), host))
        if live is not None and (lun is None or lun == live.lun):
            continue
        key = Key.of(K.MAPPING, volume, host)
        plan.add(
            "map_volume",
            {"volume": volume, "host": host, "lun": lun},
            provides=(key, fixed_luns_key(host)),
            after=(
                Key.of(K.VOLUME, volume),
                Key.of(K.HOST, host),
                chap_key(host),
                *((fixed_luns_key(host),) if lun is None else ()),
            ),
            before_removal=(key, *((lun_key(host, lun),) if lun is not None else ())),
            depends_on=(key,),
            changes=(Change("lun", None if live is None else live.lun, lun),),
            origin=Origin(spec),
        )
