"""Finding the array: interop namespace, registered profiles, root systems, services, and
the capabilities instances that say what the array can do.

This is what SMI-S clients do on connect (libstoragemgmt ``SmisCommon``, pywbem
``WBEMServer``): about ten requests, once per connection.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from storplan.errors import ConnectionFailed, StorplanError

from . import cim
from .cim import pkey, prop
from .client import WbemClient
from .ids import key_value, system_id_of_system
from .quirks import advertised_group_masking_is_broken, canonical_profile_name

__all__ = ["ArrayInfo", "Features", "discover"]

log = logging.getLogger("storplan.providers.smis")

_SKIP_NAMESPACE = {3, 5, 6, 7}  # INVALID_NAMESPACE, INVALID_CLASS, NOT_FOUND, NOT_SUPPORTED
SERVICE_CLASSES = {
    "config": "CIM_StorageConfigurationService",
    "controller": "CIM_ControllerConfigurationService",
    "gmm": "CIM_GroupMaskingMappingService",
    "hwid": "CIM_StorageHardwareIDManagementService",
    "replication": "CIM_ReplicationService",
}
_CAPABILITY_PROPS = [
    "SupportedStorageElementTypes",
    "SupportedStorageElementFeatures",
    "SupportedAsynchronousActions",
    "SupportedSynchronousActions",
    "SupportedReplicationTypes",
    "ClientSelectableDeviceNumbers",
    "SPCAllowsNoLUs",
    "SPCAllowsNoInitiators",
    "SupportedDeviceGroupFeatures",
    "SupportedStorageHardwareIDTypes",
]


@dataclass
class Features:
    """What the capabilities instances say (the raw numbers; see :mod:`.capabilities`)."""

    element_types: frozenset[int] = frozenset()
    element_features: frozenset[int] = frozenset()
    config_actions: frozenset[int] = frozenset()
    replication_types: frozenset[int] = frozenset()
    snapshot_operations: frozenset[int] = frozenset()
    lun_choice: bool = False
    spc_allows_no_lus: bool = False
    spc_allows_no_initiators: bool = False
    device_group_may_be_empty: bool = False
    group_actions: frozenset[int] = frozenset()
    hwid_types: frozenset[int] = frozenset()
    async_actions: bool = False


@dataclass
class ArrayInfo:
    """Everything discovery learned about the array."""

    interop: str | None
    namespace: str
    profiles: dict[str, tuple[int, ...]]
    systems: dict[str, Any]  # system id -> instance path (root systems only)
    services: dict[tuple[str, str], Any] = field(default_factory=dict)
    masking: str | None = None  # "group" (Group Masking and Mapping), "spc" or None
    features: Features = field(default_factory=Features)
    replication_capabilities: Any = None

    def has(self, profile: str, minimum: tuple[int, ...] = ()) -> bool:
        """True if the SNIA profile is registered (at least at version ``minimum``)."""
        version = self.profiles.get(profile)
        return version is not None and version >= minimum

    def service(self, system_id: str, role: str) -> Any:
        """The path of one of a system's services (``config``, ``gmm``, ...)."""
        found = self.services.get((system_id, role))
        if found is None:
            from storplan.errors import Unsupported

            raise Unsupported(f"system {system_id} has no {SERVICE_CLASSES[role]}", provider="smis")
        return found


def _version(text: str) -> tuple[int, ...]:
    parts = []
    for piece in str(text).split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def _profiles(client: WbemClient, interop: str | None) -> tuple[str | None, list[Any]]:
    candidates = (interop,) if interop else cim.INTEROP_NAMESPACES
    for namespace in candidates:
        try:
            found = client.enumerate(
                "CIM_RegisteredProfile",
                ["RegisteredOrganization", "RegisteredName", "RegisteredVersion"],
                namespace=namespace,
            )
        except StorplanError as exc:
            if getattr(exc, "cim_status", None) in _SKIP_NAMESPACE:
                continue
            raise
        if found:
            return namespace, found
    return None, []


def _root_systems(client: WbemClient, interop: str, array_profiles: list[Any]) -> list[Any]:
    systems: list[Any] = []
    for profile in array_profiles:
        path = profile.path.copy()
        path.namespace = path.namespace or interop
        systems += client.associator_names(
            path, "CIM_ElementConformsToProfile", "CIM_ComputerSystem"
        )
    return systems


def discover(client: WbemClient, interop: str | None, namespace: str | None) -> ArrayInfo:
    """Discover the array behind ``client`` (see the module docstring).

    Raises:
        ConnectionFailed: no SMI-S Array profile and no namespace to look in.
    """
    interop_ns, registered = _profiles(client, interop)
    profiles: dict[str, tuple[int, ...]] = {}
    array_profiles = []
    for rp in registered:
        if prop(rp, "RegisteredOrganization") != cim.SNIA:
            continue
        name = canonical_profile_name(str(prop(rp, "RegisteredName", "")))
        version = _version(prop(rp, "RegisteredVersion", "0"))
        profiles[name] = max(profiles.get(name, ()), version)
        if name == "Array":
            array_profiles.append(rp)
    roots = _root_systems(client, interop_ns, array_profiles) if interop_ns else []
    vendor_ns = namespace or next((p.namespace for p in roots if p.namespace), None)
    if vendor_ns is None:
        raise ConnectionFailed(
            f"no SMI-S Array profile is registered at {client.url}",
            hint="give the array's namespace with ?namespace=root/<vendor>",
        )
    client.namespace = vendor_ns
    if not roots:  # no registration (e.g. MegaRAID): every computer system is a root
        log.info("no Array profile registration; using every CIM_ComputerSystem in %s", vendor_ns)
        roots = [i.path for i in client.enumerate("CIM_ComputerSystem", ["Name"])]
    info = ArrayInfo(interop_ns, vendor_ns, profiles, {system_id_of_system(p): p for p in roots})
    _services(client, info)
    _capabilities(client, info)
    info.masking = _masking_mode(info)
    return info


def _services(client: WbemClient, info: ArrayInfo) -> None:
    keys = ["SystemName", "Name"]
    for role, classname in SERVICE_CLASSES.items():
        try:
            found = client.enumerate(classname, keys)
        except StorplanError as exc:
            if getattr(exc, "cim_status", None) in _SKIP_NAMESPACE:
                continue
            raise
        for service in found:
            system_id = f"sys:{key_value(service.path, 'SystemName')}"
            if system_id in info.systems:
                info.services.setdefault((system_id, role), service.path)


def _capabilities(client: WbemClient, info: ArrayInfo) -> None:
    links = client.enumerate("CIM_ElementCapabilities", ["ManagedElement", "Capabilities"])
    service_keys = {pkey(path) for path in info.services.values()}
    wanted = {
        pkey(link["Capabilities"]) for link in links if pkey(link["ManagedElement"]) in service_keys
    }
    instances = [
        c for c in client.enumerate("CIM_Capabilities", _CAPABILITY_PROPS) if pkey(c.path) in wanted
    ]
    f = info.features

    def values(instance: Any, name: str) -> frozenset[int]:
        return frozenset(int(v) for v in prop(instance, name, []))

    for caps in instances:
        asynchronous = values(caps, "SupportedAsynchronousActions")
        f.async_actions = f.async_actions or bool(asynchronous)
        actions = asynchronous | values(caps, "SupportedSynchronousActions")
        if prop(caps, "SupportedStorageElementTypes") is not None:
            f.element_types |= values(caps, "SupportedStorageElementTypes")
            f.element_features |= values(caps, "SupportedStorageElementFeatures")
            f.config_actions |= actions
        if prop(caps, "SupportedReplicationTypes") is not None:
            f.replication_types |= values(caps, "SupportedReplicationTypes")
            info.replication_capabilities = caps.path
        if prop(caps, "SPCAllowsNoLUs") is not None:
            f.lun_choice = bool(prop(caps, "ClientSelectableDeviceNumbers", False))
            f.spc_allows_no_lus = bool(prop(caps, "SPCAllowsNoLUs", False))
            f.spc_allows_no_initiators = bool(prop(caps, "SPCAllowsNoInitiators", False))
        if prop(caps, "SupportedDeviceGroupFeatures") is not None:
            f.device_group_may_be_empty = cim.GMM_DEVICE_GROUP_EMPTY_IN_VIEW in values(
                caps, "SupportedDeviceGroupFeatures"
            )
            f.group_actions |= actions
        if prop(caps, "SupportedStorageHardwareIDTypes") is not None:
            f.hwid_types |= values(caps, "SupportedStorageHardwareIDTypes")
    if info.replication_capabilities is not None:
        f.snapshot_operations = _snapshot_operations(client, info)


def _snapshot_operations(client: WbemClient, info: ArrayInfo) -> frozenset[int]:
    """``GetSupportedOperations`` for the local snapshot replication type."""
    from pywbem import Uint16

    types = [t for t in cim.REP_SNAPSHOT_LOCAL if t in info.features.replication_types]
    if not types:
        return frozenset()
    try:
        rc, out = client.invoke(
            "GetSupportedOperations",
            info.replication_capabilities,
            {"ReplicationType": Uint16(types[0])},
        )
    except StorplanError:
        return frozenset()
    return (
        frozenset(int(v) for v in (out.get("SupportedOperations") or []))
        if rc == 0
        else (frozenset())
    )


def _masking_mode(info: ArrayInfo) -> str | None:
    first_system = next(iter(info.systems.values()), None)
    broken = first_system is not None and advertised_group_masking_is_broken(first_system.classname)
    systems = list(info.systems)
    if (
        info.has("Group Masking and Mapping", (1, 5))
        and not broken
        and all((s, "gmm") in info.services for s in systems)
    ):
        return "group"
    if info.has("Masking and Mapping") and all((s, "controller") in info.services for s in systems):
        return "spc"
    return None
