"""Bulk reads of one observation: each CIM class and each association class fetched at most
once, whatever the number of objects (pull operations, paged, with a PropertyList).

Associations are read by enumerating the association class itself (one request for all
volume-to-pool links, say) and joined locally by instance path, never by following them from
each object: that is what keeps the number of requests independent of the number of objects
(compare pywbem#1753, 15 minutes for 93 volumes with per-volume associator calls).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from .cim import pkey
from .client import WbemClient
from .quirks import VENDOR_POOL_PROPERTIES

__all__ = ["CLASSES", "LINKS", "Reader"]

# name -> (CIM class, PropertyList)
CLASSES: dict[str, tuple[str, list[str]]] = {
    "systems": ("CIM_ComputerSystem", ["Name", "ElementName", "OperationalStatus", "HealthState"]),
    "software": ("CIM_SoftwareIdentity", ["VersionString", "Manufacturer", "ElementName"]),
    "packages": ("CIM_PhysicalPackage", ["Manufacturer", "Model", "SerialNumber"]),
    "pools": (
        "CIM_StoragePool",
        [
            "InstanceID",
            "ElementName",
            "PoolID",
            "Primordial",
            "Usage",
            "TotalManagedSpace",
            "RemainingManagedSpace",
            "SpaceLimit",
            "OperationalStatus",
            "HealthState",
            *VENDOR_POOL_PROPERTIES,
        ],
    ),
    "config_caps": ("CIM_StorageConfigurationCapabilities", ["SupportedStorageElementTypes"]),
    "volumes": (
        "CIM_StorageVolume",
        [
            "ElementName",
            "Name",
            "NameFormat",
            "NameNamespace",
            "OtherNameFormat",
            "OtherNameNamespace",
            "OtherIdentifyingInfo",
            "IdentifyingDescriptions",
            "BlockSize",
            "NumberOfBlocks",
            "ThinlyProvisioned",
            "Usage",
            "OperationalStatus",
        ],
    ),
    "hardware_ids": ("CIM_StorageHardwareID", ["InstanceID", "StorageID", "IDType"]),
    "initiator_groups": ("CIM_InitiatorMaskingGroup", ["InstanceID", "ElementName"]),
    "spcs": ("CIM_SCSIProtocolController", ["ElementName", "Name", "OperationalStatus"]),
    "disks": (
        "CIM_DiskDrive",
        ["Name", "ElementName", "OperationalStatus", "HealthState", "DiskType", "InterconnectType"],
    ),
    "fc_ports": (
        "CIM_FCPort",
        [
            "PermanentAddress",
            "UsageRestriction",
            "Speed",
            "OperationalStatus",
            "HealthState",
            "ElementName",
        ],
    ),
    # hardware a system reports on (Fan and Battery profiles); arrays without them: none
    "fans": ("CIM_Fan", ["SystemName", "ElementName", "OperationalStatus", "HealthState"]),
    "batteries": ("CIM_Battery", ["SystemName", "ElementName", "OperationalStatus", "HealthState"]),
    # the Block Server Performance profile
    "block_stats": (
        "CIM_BlockStorageStatisticalData",
        [
            "InstanceID",
            "ElementType",
            "ReadIOs",
            "WriteIOs",
            "KBytesRead",
            "KBytesWritten",
            "ReadHitIOs",
            "IOTimeCounter",
        ],
    ),
    "iscsi_endpoints": ("CIM_iSCSIProtocolEndpoint", ["Name", "Role", "OperationalStatus"]),
    "tcp_endpoints": ("CIM_TCPProtocolEndpoint", ["PortNumber"]),
    "ip_endpoints": ("CIM_IPProtocolEndpoint", ["IPv4Address", "IPv6Address"]),
}

# name -> (association class, the two reference roles, extra properties)
LINKS: dict[str, tuple[str, str, str, list[str]]] = {
    "installed_software": ("CIM_InstalledSoftwareIdentity", "System", "InstalledSoftware", []),
    "system_packaging": ("CIM_SystemPackaging", "Dependent", "Antecedent", []),
    "hosted_pools": ("CIM_HostedStoragePool", "GroupComponent", "PartComponent", []),
    "element_caps": ("CIM_ElementCapabilities", "ManagedElement", "Capabilities", []),
    "allocations": ("CIM_AllocatedFromStoragePool", "Dependent", "Antecedent", ["SpaceConsumed"]),
    "syncs": (
        "CIM_StorageSynchronized",
        "SyncedElement",
        "SystemElement",
        ["SyncType", "Mode", "CopyState", "PercentSynced"],
    ),
    "members": ("CIM_MemberOfCollection", "Collection", "Member", []),
    "hosted_collections": ("CIM_HostedCollection", "Dependent", "Antecedent", []),
    "authorized_targets": ("CIM_AuthorizedTarget", "Privilege", "TargetElement", []),
    "authorized_subjects": ("CIM_AuthorizedSubject", "Privilege", "PrivilegedElement", []),
    "units": ("CIM_ProtocolControllerForUnit", "Dependent", "Antecedent", ["DeviceNumber"]),
    "view_initiator_groups": ("CIM_AssociatedInitiatorMaskingGroup", "Antecedent", "Dependent", []),
    "media": ("CIM_MediaPresent", "Antecedent", "Dependent", []),
    "element_stats": ("CIM_ElementStatisticalData", "Stats", "ManagedElement", []),
    "components": ("CIM_ConcreteComponent", "PartComponent", "GroupComponent", []),
    "binds": ("CIM_BindsTo", "Dependent", "Antecedent", []),
}


class Reader:
    """Memoized bulk reads for one ``observe()`` call."""

    def __init__(self, client: WbemClient) -> None:
        self.client = client
        self._memo: dict[str, Any] = {}

    def _once(self, key: str, fetch: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = fetch()
        return self._memo[key]

    def all(self, name: str) -> list[Any]:
        """Every instance of one of :data:`CLASSES`."""
        classname, props = CLASSES[name]
        return self._once(name, lambda: self.client.enumerate(classname, props))  # type: ignore[no-any-return]

    def by_key(self, name: str) -> dict[tuple[Any, ...], Any]:
        """Instances of one of :data:`CLASSES`, indexed by :func:`~.cim.pkey` of their path."""
        return self._once(  # type: ignore[no-any-return]
            f"{name}#index", lambda: {pkey(i.path): i for i in self.all(name)}
        )

    def links(self, name: str) -> list[Any]:
        """Every instance of one of the :data:`LINKS` association classes."""
        classname, one, other, extra = LINKS[name]
        return self._once(  # type: ignore[no-any-return]
            f"link:{name}", lambda: self.client.enumerate(classname, [one, other, *extra])
        )

    def linked(self, name: str) -> dict[tuple[Any, ...], list[Any]]:
        """For one association: first role's path key -> the association instances."""
        _, one, _, _ = LINKS[name]

        def index() -> dict[tuple[Any, ...], list[Any]]:
            result: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
            for link in self.links(name):
                result[pkey(link[one])].append(link)
            return dict(result)

        return self._once(f"link:{name}#index", index)  # type: ignore[no-any-return]

    def first_linked(self, name: str, path: Any) -> Any | None:
        """The path at the other end of the first ``name`` association of ``path``."""
        _, _, other, _ = LINKS[name]
        found = self.linked(name).get(pkey(path))
        return found[0][other] if found else None

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """Memoize a derived value (indexes the kinds share)."""
        return self._once(f"derived:{key}", compute)
