"""storplan capabilities and limits, derived from what the array registered and advertised.

Nothing is assumed: a capability is declared only when the registered profiles and the
capabilities instances (read by :mod:`.discovery`) say the array offers it.
"""

from __future__ import annotations

from typing import Any

from pywbem import Uint16
from storplan.errors import StorplanError
from storplan.model.capabilities import Limits
from storplan.model.enums import Capability
from storplan.size import Size

from . import cim
from .cim import prop
from .client import WbemClient
from .discovery import ArrayInfo

__all__ = ["declared", "limits_of"]

C = Capability


def declared(info: ArrayInfo) -> frozenset[Capability]:
    """The capabilities of the array described by ``info``."""
    f = info.features
    caps: set[Capability] = set()
    systems = list(info.systems)
    has_service = {
        role: bool(systems) and all((s, role) in info.services for s in systems)
        for role in ("config", "hwid", "replication")
    }
    creates = cim.ACTION_CREATE in f.config_actions or cim.FEATURE_VOLUME_CREATE in (
        f.element_features
    )
    if has_service["config"] and creates:
        caps.add(C.VOLUMES)
        if cim.ELEMENT_THIN_VOLUME in f.element_types:
            caps.add(C.VOLUME_THIN)
        if {cim.ELEMENT_VOLUME, cim.ELEMENT_THICK_VOLUME} & f.element_types:
            caps.add(C.VOLUME_THICK)
        if cim.FEATURE_EXPAND in f.element_features:
            caps.add(C.VOLUME_GROW)
        if cim.FEATURE_REDUCE in f.element_features:
            caps.add(C.VOLUME_SHRINK)
        if cim.FEATURE_VOLUME_MODIFY in f.element_features:
            caps.add(C.VOLUME_RENAME)
    # Group masking needs the hardware id service (members are StorageHardwareID paths);
    # plain Masking and Mapping can only hold a host without volumes if SPCs may have no LUs.
    group_ok = (
        info.masking == "group"
        and has_service["hwid"]
        and (not f.group_actions or {cim.GMM_CREATE_GROUP, cim.GMM_CREATE_VIEW} <= f.group_actions)
    )
    spc_ok = info.masking == "spc" and f.spc_allows_no_lus
    if C.VOLUMES in caps and (group_ok or spc_ok):
        caps |= {C.ACCESS_GROUPS, C.MASKING}
        types = f.hwid_types or frozenset({cim.IDTYPE_PORT_WWN, cim.IDTYPE_ISCSI})
        if cim.IDTYPE_ISCSI in types:
            caps.add(C.INITIATOR_ISCSI)
        if cim.IDTYPE_PORT_WWN in types:
            caps.add(C.INITIATOR_FC)
        if f.lun_choice:
            caps.add(C.MASKING_LUN_CHOICE)
    if C.VOLUMES in caps and has_service["replication"]:
        if set(cim.REP_SNAPSHOT_LOCAL) & f.replication_types:
            caps.add(C.SNAPSHOTS)
            if cim.OP_RESTORE in f.snapshot_operations:
                caps.add(C.SNAPSHOT_RESTORE)
        if set(cim.REP_CLONE_LOCAL) & f.replication_types:
            caps.add(C.COPIES)
        if cim.REP_SYNC_MIRROR_LOCAL in f.replication_types:
            caps.add(C.MIRROR_SYNC)
        if cim.REP_ASYNC_MIRROR_LOCAL in f.replication_types:
            caps.add(C.MIRROR_ASYNC)
    if info.has("Disk Drive Lite"):
        caps.add(C.DISKS)
    if info.has("FC Target Ports") or info.has("iSCSI Target Ports"):
        caps.add(C.TARGET_PORTS)
    if info.has("Block Server Performance"):
        caps.add(C.STATISTICS)
    if info.has("Indication"):
        caps.add(C.EVENTS)
    if f.async_actions or info.has("Job Control"):
        caps.add(C.ASYNC_JOBS)
    return frozenset(caps)


def limits_of(client: WbemClient, pool_paths: list[Any]) -> Limits:
    """Size range and granularity from ``GetSupportedSizeRange`` on the first pool that
    answers it; storplan's defaults when none does."""
    for path in pool_paths:
        try:
            rc, out = client.invoke(
                "GetSupportedSizeRange", path, {"ElementType": Uint16(cim.SIZE_RANGE_VOLUME)}
            )
        except StorplanError:
            continue
        if rc != cim.RC_OK:
            continue
        minimum = int(prop(out, "MinimumVolumeSize", 0) or 0)
        maximum = int(prop(out, "MaximumVolumeSize", 0) or 0)
        divisor = max(int(prop(out, "VolumeSizeDivisor", 0) or 0), 1)
        if maximum <= 0:
            continue
        minimum = -(-max(minimum, divisor) // divisor) * divisor
        return Limits(
            min_volume_size=Size(minimum),
            max_volume_size=Size(maximum - maximum % divisor),
            size_alignment=divisor,
            max_lun=4095,
        )
    return Limits(max_lun=4095)
