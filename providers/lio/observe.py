"""Turn an :class:`~.inventory.Inventory` into the storplan model (read-only)."""

from __future__ import annotations

import os
import socket

from storplan.identifiers import InitiatorKind
from storplan.model.base import Condition
from storplan.model.block import AccessGroup, Initiator, Mapping, Pool, Replica, Snapshot, Volume
from storplan.model.enums import Health, Kind, LinkState, Provisioning, ReplicaKind
from storplan.model.state import State
from storplan.model.system import System, TargetPort
from storplan.providers.kit.pools import lvm_capacity
from storplan.size import Size

from . import ids
from .configfs import Acl
from .dirpool import DirPool
from .inventory import Inventory, StoredVolume
from .options import PoolConfig

__all__ = ["KINDS", "naa_of", "observe_inventory", "pool_model"]

KINDS = frozenset(
    {
        Kind.SYSTEMS,
        Kind.POOLS,
        Kind.VOLUMES,
        Kind.ACCESS_GROUPS,
        Kind.MAPPINGS,
        Kind.SNAPSHOTS,
        Kind.REPLICAS,
        Kind.TARGET_PORTS,
    }
)


def naa_of(serial: str) -> str:
    """The NAA designator LIO reports in VPD page 0x83: IEEE registered extended format with
    LIO's company id 0x001405 and the first 25 hex digits of the unit serial."""
    digits = "".join(c for c in serial.lower() if c in "0123456789abcdef")[:25]
    return f"naa.6001405{digits.ljust(25, '0')}" if digits else ""


def system() -> System:
    """The Linux host as a storage system."""
    return System(
        ids.SYSTEM,
        socket.gethostname(),
        vendor="Linux",
        model="LIO iSCSI target",
        firmware=os.uname().release,
    )


def observe_inventory(inventory: Inventory, kinds: frozenset[Kind]) -> State:
    """The requested kinds of the model (others empty)."""
    parts: dict[str, tuple[object, ...]] = {}
    if Kind.SYSTEMS in kinds:
        parts["systems"] = (system(),)
    if Kind.POOLS in kinds:
        parts["pools"] = tuple(pool_model(inventory, p) for p in inventory.options.pools)
    if Kind.VOLUMES in kinds:
        parts["volumes"] = tuple(_volume(v) for v in inventory.volumes.values())
    if Kind.SNAPSHOTS in kinds:
        parts["snapshots"] = tuple(
            Snapshot(
                ids.snapshot(s.volume, s.name),
                ids.volume(s.volume),
                s.name,
                s.created,
                Size(s.size),
                Size(s.used),
            )
            for s in inventory.snapshots.values()
        )
    if Kind.REPLICAS in kinds:
        parts["replicas"] = tuple(_replicas(inventory))
    if Kind.ACCESS_GROUPS in kinds or Kind.MAPPINGS in kinds:
        groups, mappings = _masking(inventory)
        parts["access_groups"] = groups if Kind.ACCESS_GROUPS in kinds else ()
        parts["mappings"] = mappings if Kind.MAPPINGS in kinds else ()
    if Kind.TARGET_PORTS in kinds:
        parts["target_ports"] = _ports(inventory)
    return State(**parts)  # type: ignore[arg-type]


def _volume(stored: StoredVolume) -> Volume:
    return Volume(
        ids.volume(stored.name),
        ids.SYSTEM,
        ids.pool(stored.pool.name) if stored.pool else "",
        stored.name,
        Size(stored.size),
        stored.thin,
        wwn=naa_of(stored.serial),
        block_size=stored.block_size,
        used=Size(stored.used),
    )


def pool_model(inventory: Inventory, pool: PoolConfig) -> Pool:
    """A configured pool with its capacity as LVM or the file system reports it."""
    members = [v for v in inventory.volumes.values() if v.pool == pool]
    subscribed = Size(sum(v.size for v in members))
    thin, thick = Provisioning.THIN, Provisioning.THICK
    total = free = 0
    metadata: float | None = None
    problems: list[str] = []
    if pool.kind == "dir":
        try:
            total, free = DirPool(pool.location).capacity()
        except OSError as exc:
            problems.append(f"directory {pool.location} is not usable: {exc.strerror}")
        provisioning = frozenset({thin, thick})
    else:
        total, free, problems = lvm_capacity(inventory.lvm, pool)
        if pool.kind == "lvm-thin" and not problems and inventory.lvm is not None:
            metadata = inventory.lvm.volumes[(pool.vg, pool.thin_pool)].metadata_percent
        provisioning = frozenset({thin if pool.kind == "lvm-thin" else thick})
    return Pool(
        ids.pool(pool.name),
        ids.SYSTEM,
        pool.name,
        total=Size(total),
        free=Size(free),
        subscribed=subscribed,
        oversubscription_limit=pool.oversubscription if thin in provisioning else None,
        health=Health.ERROR if problems else Health.OK,
        conditions=tuple(Condition("pool.unavailable", p) for p in problems),
        provisioning=provisioning,
        metadata_percent=metadata,
    )


def _replicas(inventory: Inventory) -> list[Replica]:
    result = []
    for stored in inventory.volumes.values():
        if stored.replica is None or stored.replica[1] not in inventory.volumes:
            continue
        kind, source = stored.replica
        result.append(
            Replica(
                ids.replica(stored.name),
                ids.volume(source),
                ids.volume(stored.name),
                ReplicaKind.CLONE if kind == "clone" else ReplicaKind.COPY,
            )
        )
    return result


def _masking(inventory: Inventory) -> tuple[tuple[AccessGroup, ...], tuple[Mapping, ...]]:
    tpg = inventory.tpg
    lun_volume = {n: name for n, (_plugin, name) in tpg.luns.items()} if tpg else {}
    groups, mappings = [], []
    for name, acls in sorted(inventory.groups().items()):
        members = tuple(
            sorted(
                Initiator(a.initiator, InitiatorKind.ISCSI, a.chap_user, a.mutual_user)
                for a in acls
            )
        )
        views = [{m: lun_volume.get(t) for m, t in a.mapped.items()} for a in acls]
        consistent = all(v == views[0] for v in views)
        health = Health.OK if consistent else Health.DEGRADED
        conditions = tuple(_no_session(a) for a in acls if a.mapped and not a.logged_in)
        groups.append(AccessGroup(ids.host(name), ids.SYSTEM, name, members, health, conditions))
        for lun, volume in sorted(views[0].items()):
            if volume is not None:
                mappings.append(Mapping(ids.volume(volume), ids.host(name), lun))
    return tuple(groups), tuple(mappings)


def _no_session(acl: Acl) -> Condition:
    """A host's initiator with mapped LUNs that is not logged in (a host without mappings
    need not be)."""
    state = "no iSCSI session" if acl.session is None else f"iSCSI session {acl.session}"
    return Condition(
        "host.not_logged_in",
        f"{acl.initiator} has mapped LUNs and {state}",
        component=acl.initiator,
    )


def _ports(inventory: Inventory) -> tuple[TargetPort, ...]:
    tpg = inventory.tpg
    if tpg is None:
        return ()
    down = () if tpg.enabled else (Condition("port.down", f"TPG {tpg.tag} is disabled"),)
    return tuple(
        TargetPort(
            f"port:{portal}",
            ids.SYSTEM,
            InitiatorKind.ISCSI,
            tpg.target,
            portal,
            LinkState.UP if tpg.enabled else LinkState.DOWN,
            conditions=down,
        )
        for portal in tpg.portals
    )
