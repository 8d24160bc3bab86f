"""CIM vocabulary the provider uses: class names, value maps, path keys, health.

Values are from the DMTF CIM schema 2.49 and the SNIA SMI-S block book; each constant names
the property or parameter it belongs to.
"""

from __future__ import annotations

from typing import Any

from storplan.model.base import Condition
from storplan.model.enums import Health

__all__ = [
    "SNIA",
    "Health",
    "health_of",
    "lun_of",
    "pkey",
    "prop",
]

SNIA = 11  # CIM_RegisteredProfile.RegisteredOrganization
INTEROP_NAMESPACES = ("interop", "root/interop", "root/PG_Interop")

# CIM_StorageConfigurationService.CreateOrModifyElementFromStoragePool ElementType
ELEMENT_VOLUME = 2
ELEMENT_THIN_VOLUME = 5
ELEMENT_THICK_VOLUME = 7
# CIM_StorageConfigurationCapabilities
FEATURE_VOLUME_CREATE = 3
FEATURE_VOLUME_MODIFY = 5
FEATURE_EXPAND = 12
FEATURE_REDUCE = 13
ACTION_CREATE = 5
ACTION_RETURN = 6
# CIM_StoragePool.GetSupportedSizeRange ElementType (numbered differently!)
SIZE_RANGE_VOLUME = 3
SIZE_RANGE_THIN_VOLUME = 5
# CIM_StoragePool.Usage
POOL_USAGE_RESERVED = 3
POOL_USAGE_DELTA = 4
POOL_USAGE_SPARE = 8
# CIM_StorageVolume.Usage
VOLUME_USAGE_RESERVED = 3
# CIM_StorageVolume.NameFormat / NameNamespace
NAME_FORMAT_NAA = 9
NAME_FORMAT_VPD83_NAA6 = 2
NAME_FORMAT_VPD83_NAA5 = 3
NAME_NAMESPACE_VPD83_TYPE3 = 2
# CIM_StorageSynchronized.SyncType / Mode / CopyState
SYNC_MIRROR = 6
SYNC_SNAPSHOT = 7
SYNC_CLONE = 8
MODE_SYNC = 2
MODE_ASYNC = 3
COPY_INITIALIZED = 2
COPY_UNSYNCHRONIZED = 3
COPY_SYNCHRONIZED = 4
COPY_BROKEN = 5
COPY_FRACTURED = 6
COPY_SPLIT = 7
COPY_INACTIVE = 8
COPY_SUSPENDED = 9
# CIM_ReplicationService.ModifyReplicaSynchronization Operation
OP_DETACH = 8
OP_RESTORE = 15
OP_RETURN_TO_POOL = 19
# CIM_ReplicationServiceCapabilities.SupportedReplicationTypes
REP_SYNC_MIRROR_LOCAL = 2
REP_ASYNC_MIRROR_LOCAL = 3
REP_SNAPSHOT_LOCAL = (6, 7)
REP_CLONE_LOCAL = (10, 11)
# CIM_StorageHardwareID.IDType
IDTYPE_PORT_WWN = 2
IDTYPE_ISCSI = 5
# CIM_GroupMaskingMappingService.CreateGroup Type
GROUP_INITIATOR = 2
GROUP_TARGET = 3
GROUP_DEVICE = 4
# CIM_GroupMaskingMappingCapabilities
GMM_CREATE_GROUP = 19
GMM_CREATE_VIEW = 23
GMM_DEVICE_GROUP_EMPTY_IN_VIEW = 5
# CIM_ProtocolControllerForUnit.DeviceAccess / ExposePaths DeviceAccesses
ACCESS_READ_WRITE = 2
# CIM_ConcreteJob.JobState / OperationalStatus
JOB_NEW, JOB_STARTING, JOB_RUNNING = 2, 3, 4
JOB_COMPLETED = 7
JOB_FAILED_STATES = (8, 9, 10)  # Terminated, Killed, Exception
OPSTATUS_OK = 2
OPSTATUS_COMPLETED = 17
OPSTATUS_ERROR = 6
# Extrinsic method return codes
RC_OK = 0
RC_JOB_STARTED = 4096
# CIM_DiskDrive.DiskType
DISK_HDD, DISK_SSD = 2, 3
# CIM_FCPort.UsageRestriction
PORT_BACK_END = 3

_HEALTH: dict[int, Health] = {
    2: Health.OK,  # OK
    3: Health.DEGRADED,  # Degraded
    4: Health.DEGRADED,  # Stressed
    5: Health.DEGRADED,  # Predictive Failure
    6: Health.ERROR,  # Error
    7: Health.ERROR,  # Non-Recoverable Error
    10: Health.ERROR,  # Stopped
    12: Health.ERROR,  # No Contact
    13: Health.ERROR,  # Lost Communication
    16: Health.DEGRADED,  # Supporting Entity in Error
}
_STATUS_TEXT = {
    3: "degraded",
    4: "stressed",
    5: "predictive failure",
    6: "error",
    7: "non-recoverable error",
    10: "stopped",
    12: "no contact",
    13: "lost communication",
    16: "supporting entity in error",
}
_RANK = {Health.OK: 0, Health.UNKNOWN: 1, Health.DEGRADED: 2, Health.ERROR: 3}


def prop(instance: Any, name: str, default: Any = None) -> Any:
    """A property value, or ``default`` when the array did not send it (or sent NULL)."""
    try:
        value = instance[name]
    except KeyError:
        return default
    return default if value is None else value


# CIM_ManagedSystemElement.HealthState: 5 OK, 10 degraded/warning, 15 minor failure,
# 20 major failure, 25 critical failure, 30 non-recoverable error (0 unknown)
_HEALTH_STATE: dict[int, Health] = {
    5: Health.OK,
    10: Health.DEGRADED,
    15: Health.DEGRADED,
    20: Health.ERROR,
    25: Health.ERROR,
    30: Health.ERROR,
}
PREDICTIVE_FAILURE = 5

# What a non-OK status means, by the role of the element (docs/monitoring.md's catalogue);
# a role without an entry reports ``operational_status``.
_ROLE_CODES = {
    "disk": "disk.failed",
    "pool": "raid.degraded",
    "port": "port.down",
    "fan": "fan.failed",
    "battery": "battery.failed",
}


def health_of(instance: Any, role: str = "") -> tuple[Health, tuple[Condition, ...]]:
    """Health and conditions from ``OperationalStatus`` and ``HealthState`` (the worst value
    wins).  ``role`` (``disk``, ``pool``, ``port``, ``fan``, ``battery``) names the catalogue
    code a failure of such an element reports; without one it is ``operational_status``."""
    statuses = [int(s) for s in prop(instance, "OperationalStatus", [])]
    state = _HEALTH_STATE.get(int(prop(instance, "HealthState", 0) or 0))
    if not statuses and state is None:
        return Health.UNKNOWN, ()
    found = [_HEALTH.get(status, Health.OK) for status in statuses]
    worst = max([*found, state or Health.OK], key=_RANK.__getitem__)
    texts = sorted({_STATUS_TEXT[s] for s in statuses if s in _STATUS_TEXT})
    if worst is not Health.OK and not texts:
        texts = [f"health state {prop(instance, 'HealthState')}"]
    code = _ROLE_CODES.get(role, "operational_status")
    if role == "disk" and worst is Health.DEGRADED and PREDICTIVE_FAILURE in statuses:
        code = "disk.predictive_failure"
    name = str(prop(instance, "ElementName") or "")
    component = name if role in ("fan", "battery") else ""
    conditions = tuple(Condition(code, text, component=component) for text in texts)
    return worst, conditions


def pkey(path: Any) -> tuple[Any, ...]:
    """A hashable identity of an instance path: its key values, ignoring host, namespace
    and the lexical case of key names (arrays are not consistent about any of them)."""
    items = []
    for name, value in path.keybindings.items():
        if hasattr(value, "keybindings"):
            value = pkey(value)
        items.append((name.lower(), value if isinstance(value, tuple) else str(value)))
    return tuple(sorted(items))


def lun_of(unit: Any) -> int | None:
    """The LUN of a ``CIM_ProtocolControllerForUnit``: ``DeviceNumber`` is a hexadecimal
    string on SMI-S arrays (CoprHD and cinder read it with base 16)."""
    text = str(prop(unit, "DeviceNumber", "")).strip()
    try:
        return int(text, 16)
    except ValueError:
        return None
