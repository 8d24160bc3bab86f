"""One CIM instance (plus what it is linked to) -> one storplan model object.

Pure functions, shared by the bulk observation and by the operations that return the object
they created; both therefore report exactly the same object.
"""

from __future__ import annotations

from typing import Any

from storplan.errors import InvalidArgument
from storplan.identifiers import InitiatorKind, canonical_iqn, canonical_wwn, canonical_wwpn
from storplan.model.base import Condition
from storplan.model.block import Initiator, Pool, Replica, Snapshot, Volume
from storplan.model.enums import (
    DiskKind,
    ElementType,
    Health,
    LinkState,
    Provisioning,
    ReplicaKind,
    ReplicaState,
)
from storplan.model.system import Disk, System, TargetPort
from storplan.size import Size

from . import cim
from .cim import health_of, prop
from .ids import device_key, object_id, system_id_of
from .quirks import subscription_limit_ratio, vendor_vpd83

__all__ = [
    "disk",
    "fc_port",
    "hidden_pool",
    "hidden_volume",
    "initiator",
    "pool",
    "replica",
    "snapshot",
    "system",
    "volume",
    "volume_size",
    "wwn",
]

_VPD83_DESCRIPTION = "NAA;VPD83TYPE3"
_REPLICA_STATE = {
    cim.COPY_SYNCHRONIZED: ReplicaState.SYNCED,
    cim.COPY_INITIALIZED: ReplicaState.SYNCING,
    cim.COPY_UNSYNCHRONIZED: ReplicaState.SYNCING,
    cim.COPY_FRACTURED: ReplicaState.SPLIT,
    cim.COPY_SPLIT: ReplicaState.SPLIT,
    cim.COPY_SUSPENDED: ReplicaState.SPLIT,
    cim.COPY_INACTIVE: ReplicaState.SPLIT,
    cim.COPY_BROKEN: ReplicaState.BROKEN,
}


def system(instance: Any, software: Any | None, package: Any | None) -> System:
    """A root computer system with its firmware identity and physical package."""
    health, conditions = health_of(instance)
    vendor = prop(package, "Manufacturer") if package is not None else None
    if not vendor and software is not None:
        vendor = prop(software, "Manufacturer")
    return System(
        id=f"sys:{prop(instance, 'Name', '')}",
        name=str(prop(instance, "ElementName") or prop(instance, "Name", "")),
        vendor=str(vendor or ""),
        model=str(prop(package, "Model", "") if package is not None else ""),
        firmware=str(prop(software, "VersionString", "") if software is not None else ""),
        health=health,
        conditions=conditions,
    )


def hidden_pool(instance: Any) -> bool:
    """Primordial, spare, system-reserved and delta-replica pools are not storplan pools."""
    usage = int(prop(instance, "Usage", 2))
    return bool(prop(instance, "Primordial", False)) or usage in (
        cim.POOL_USAGE_RESERVED,
        cim.POOL_USAGE_DELTA,
        cim.POOL_USAGE_SPARE,
    )


def provisioning(element_types: frozenset[int]) -> frozenset[Provisioning]:
    """What volumes a pool can hold, from the element types its capabilities list: thin
    (``ThinlyProvisionedStorageVolume``), thick (``ThickStorageVolume`` or a generic
    ``StorageVolume``, which arrays allocate in full); both when the array lists none."""
    found = set()
    if cim.ELEMENT_THIN_VOLUME in element_types:
        found.add(Provisioning.THIN)
    if {cim.ELEMENT_VOLUME, cim.ELEMENT_THICK_VOLUME} & element_types:
        found.add(Provisioning.THICK)
    return frozenset(found) or frozenset(Provisioning)


def pool(instance: Any, system_id: str, element_types: frozenset[int], subscribed: int) -> Pool:
    """A concrete pool; thin-capable when its capabilities list thin volumes."""
    health, conditions = health_of(instance, "pool")
    total = int(prop(instance, "TotalManagedSpace", 0))
    limit: float | None = None
    if cim.ELEMENT_THIN_VOLUME in element_types:
        space_limit = int(prop(instance, "SpaceLimit", 0) or 0)
        limit = subscription_limit_ratio(instance)
        if limit is None and space_limit > 0 and total > 0:
            limit = space_limit / total
        if limit is None:
            limit = 1.0
            conditions += (
                Condition("subscription_limit", "the array reports no subscription limit"),
            )
    return Pool(
        id=object_id("pool", instance.path),
        system_id=system_id,
        name=str(prop(instance, "ElementName") or prop(instance, "PoolID") or instance.path),
        element_types=frozenset({ElementType.VOLUME}),
        total=Size(total),
        free=Size(int(prop(instance, "RemainingManagedSpace", 0))),
        subscribed=Size(subscribed),
        oversubscription_limit=limit,
        provisioning=provisioning(element_types),
        health=health,
        conditions=conditions,
    )


def volume_size(instance: Any) -> int:
    """Bytes: ``BlockSize`` x ``NumberOfBlocks``."""
    return int(prop(instance, "BlockSize", 512)) * int(prop(instance, "NumberOfBlocks", 0))


def hidden_volume(instance: Any) -> bool:
    """Volumes the array reserves for itself (``Usage`` 3) are not reported."""
    return int(prop(instance, "Usage", 2)) == cim.VOLUME_USAGE_RESERVED


def wwn(instance: Any) -> str:
    """The SCSI VPD 0x83 NAA id in ``naa.`` form, wherever this array keeps it."""
    candidates: list[str] = []
    name_format = int(prop(instance, "NameFormat", 0))
    if name_format in (cim.NAME_FORMAT_NAA, cim.NAME_FORMAT_VPD83_NAA6, cim.NAME_FORMAT_VPD83_NAA5):
        candidates.append(str(prop(instance, "Name", "")))
    descriptions = [str(d).upper() for d in prop(instance, "IdentifyingDescriptions", [])]
    info = prop(instance, "OtherIdentifyingInfo", [])
    candidates += [
        str(info[i])
        for i, d in enumerate(descriptions)
        if d == _VPD83_DESCRIPTION and i < len(info)
    ]
    quirk = vendor_vpd83(instance)
    if quirk:
        candidates.append(quirk)
    for candidate in candidates:
        try:
            return canonical_wwn(candidate)
        except InvalidArgument:
            continue
    return ""


def volume(instance: Any, pool_id: str, used: int | None) -> Volume:
    """A volume; ``used`` is the pool space it consumes (``SpaceConsumed``)."""
    health, conditions = health_of(instance)
    size = volume_size(instance)
    thin = bool(prop(instance, "ThinlyProvisioned", False))
    identifier = wwn(instance)
    if not identifier:
        conditions += (Condition("wwn_unknown", "the array reports no VPD 0x83 NAA id"),)
    return Volume(
        id=object_id("vol", instance.path),
        system_id=system_id_of(instance),
        pool_id=pool_id,
        name=str(prop(instance, "ElementName", "")),
        size=Size(size),
        thin=thin,
        wwn=identifier,
        block_size=int(prop(instance, "BlockSize", 512)),
        used=Size(used if used is not None else (0 if thin else size)),
        health=health,
        conditions=conditions,
    )


def snapshot(target: Any, source_path: Any, used: int | None) -> Snapshot:
    """A snapshot: the target volume of a ``SyncType`` 7 relationship."""
    return Snapshot(
        id=object_id("snap", target.path),
        volume_id=object_id("vol", source_path),
        name=str(prop(target, "ElementName", "")),
        size=Size(volume_size(target)),
        used=Size(used or 0),
    )


def replica_kind(sync: Any) -> ReplicaKind | None:
    """The storplan kind of a ``CIM_StorageSynchronized`` (``None``: not a replica)."""
    sync_type = int(prop(sync, "SyncType", 0))
    if sync_type == cim.SYNC_CLONE:
        return ReplicaKind.COPY
    if sync_type == cim.SYNC_MIRROR:
        mode = int(prop(sync, "Mode", cim.MODE_SYNC))
        return ReplicaKind.MIRROR_ASYNC if mode == cim.MODE_ASYNC else ReplicaKind.MIRROR_SYNC
    return None


def replica(sync: Any, kind: ReplicaKind) -> Replica:
    """A replica relationship, identified by its target volume."""
    target, source = sync["SyncedElement"], sync["SystemElement"]
    state = _REPLICA_STATE.get(int(prop(sync, "CopyState", 0)), ReplicaState.SYNCING)
    percent = int(prop(sync, "PercentSynced", 100 if state is ReplicaState.SYNCED else 0))
    conditions: tuple[Condition, ...] = ()
    if state is ReplicaState.BROKEN:
        conditions = (Condition("replication.broken", "the array reports the copy broken"),)
    return Replica(
        id=f"rep:{device_key(target)}",
        source_volume_id=object_id("vol", source),
        target_volume_id=object_id("vol", target),
        kind=kind,
        state=state,
        percent_synced=max(0, min(100, percent)),
        conditions=conditions,
    )


def initiator(hardware_id: Any) -> Initiator | None:
    """A storplan initiator from a ``CIM_StorageHardwareID`` (``None``: not FC or iSCSI)."""
    storage_id = str(prop(hardware_id, "StorageID", ""))
    id_type = int(prop(hardware_id, "IDType", 0))
    try:
        if id_type == cim.IDTYPE_ISCSI:
            return Initiator(canonical_iqn(storage_id), InitiatorKind.ISCSI)
        if id_type == cim.IDTYPE_PORT_WWN:
            return Initiator(canonical_wwpn(storage_id), InitiatorKind.FC)
    except InvalidArgument:
        return None
    return None


def storage_id(init: Initiator) -> tuple[str, int]:
    """``(StorageID, IDType)`` for an initiator, in the form SMI-S arrays expect: WWPNs as
    16 upper-case hex digits without separators, IQNs as they are."""
    if init.kind is InitiatorKind.FC:
        return init.id.replace(":", "").upper(), cim.IDTYPE_PORT_WWN
    return init.id, cim.IDTYPE_ISCSI


def disk(instance: Any, size: int, pool_id: str | None) -> Disk:
    """A physical drive."""
    health, conditions = health_of(instance, "disk")
    kind = {cim.DISK_HDD: DiskKind.HDD, cim.DISK_SSD: DiskKind.SSD}.get(
        int(prop(instance, "DiskType", 0)), DiskKind.UNKNOWN
    )
    return Disk(
        id=object_id("disk", instance.path),
        system_id=system_id_of(instance),
        name=str(prop(instance, "ElementName") or prop(instance, "Name", "")),
        kind=kind,
        size=Size(size),
        pool_id=pool_id,
        serial=str(prop(instance, "Name", "")),
        health=health,
        conditions=conditions,
    )


def link_state(instance: Any) -> LinkState:
    """Up when ``OperationalStatus`` is OK, down when it is not, unknown without it."""
    health, _ = health_of(instance)
    if health is Health.UNKNOWN:
        return LinkState.UNKNOWN
    return LinkState.UP if health is Health.OK else LinkState.DOWN


def fc_port(instance: Any) -> TargetPort | None:
    """A front-end FC port (``None`` for back-end ports or unreadable WWPNs)."""
    if int(prop(instance, "UsageRestriction", 0)) == cim.PORT_BACK_END:
        return None
    try:
        address = canonical_wwpn(str(prop(instance, "PermanentAddress", "")))
    except InvalidArgument:
        return None
    return TargetPort(
        id=f"port:{device_key(instance.path)}",
        system_id=system_id_of(instance),
        kind=InitiatorKind.FC,
        address=address,
        link=link_state(instance),
        speed_gbps=round(int(prop(instance, "Speed", 0)) / 1e9, 1),
        conditions=health_of(instance, "port")[1],
    )
