"""The mock array's initial contents: profiles, system, services, capabilities, pools, disks,
ports, and optionally existing volumes, hosts, mappings and a snapshot."""

from __future__ import annotations

from typing import Any

from pywbem import CIMInstance

from .array import MockArray
from .hardware import populate_hardware
from .repo import U16, U32, U64

__all__ = ["add_volumes", "populate"]

GiB = 1 << 30
TiB = 1 << 40


def _service(array: MockArray, base: str) -> Any:
    f, repo = array.f, array.repo
    path = repo.path(
        f.cls(base),
        SystemCreationClassName=f.cls("CIM_StorageSystem"),
        SystemName=f.system_name,
        CreationClassName=f.cls(base),
        Name=f"{f.prefix}:{base.removeprefix('CIM_')}",
    )
    repo.add(path, ElementName=base.removeprefix("CIM_"))
    repo.link("CIM_HostedService", Antecedent=repo.system, Dependent=path)
    return path


def _caps(array: MockArray, base: str, owner: Any, name: str, **props: Any) -> Any:
    path = array.repo.path(array.f.cls(base), InstanceID=f"{array.f.prefix}:CAPS:{name}")
    array.repo.add(path, ElementName=name, **props)
    array.repo.link("CIM_ElementCapabilities", ManagedElement=owner, Capabilities=path)
    return path


def _u16s(values: Any) -> list[Any]:
    return [U16(v) for v in values]


def _profiles(array: MockArray) -> None:
    f, repo = array.f, array.repo
    for number, (name, version) in enumerate(f.profiles):
        path = repo.path(
            "CIM_RegisteredProfile",
            namespace=f.interop,
            InstanceID=f"SNIA:{name}:{version}:{number}",
        )
        repo.add(
            path, RegisteredOrganization=U16(11), RegisteredName=name, RegisteredVersion=version
        )
        if name == "Array":
            repo.add(
                repo.path(
                    "CIM_ElementConformsToProfile",
                    namespace=f.interop,
                    ConformantStandard=path,
                    ManagedElement=repo.system,
                )
            )
    other = repo.path("CIM_RegisteredProfile", namespace=f.interop, InstanceID="DMTF:Profile")
    repo.add(
        other,
        RegisteredOrganization=U16(2),
        RegisteredName="Profile Registration",
        RegisteredVersion="1.0.0",
    )


def _system(array: MockArray) -> None:
    f, repo = array.f, array.repo
    repo.add(
        repo.system,
        ElementName=f.system_name.lower(),
        OperationalStatus=[U16(2)],
        Dedicated=[U16(3), U16(15)],
    )
    software = repo.path(f.cls("CIM_SoftwareIdentity"), InstanceID=f"{f.prefix}:FW")
    repo.add(software, VersionString=f.firmware, Manufacturer=f.vendor, ElementName="firmware")
    repo.link("CIM_InstalledSoftwareIdentity", System=repo.system, InstalledSoftware=software)
    chassis = repo.path(
        f.cls("CIM_ArrayChassis"),
        CreationClassName=f.cls("CIM_ArrayChassis"),
        Tag=f"{f.system_name}-chassis",
    )
    repo.add(chassis, Manufacturer=f.vendor, Model=f.model, SerialNumber="SN0001")
    repo.link("CIM_SystemPackaging", Antecedent=chassis, Dependent=repo.system)


def _services(array: MockArray) -> dict[str, Any]:
    f = array.f
    services = {
        "config": _service(array, "CIM_StorageConfigurationService"),
        "hwid": _service(array, "CIM_StorageHardwareIDManagementService"),
        "replication": _service(array, "CIM_ReplicationService"),
    }
    masking_class = (
        "CIM_GroupMaskingMappingService"
        if f.group_masking
        else "CIM_ControllerConfigurationService"
    )
    services["masking"] = _service(array, masking_class)
    all_types = sorted({t for _, _, types, _ in f.pools for t in types})
    actions = _u16s([5, 6, 7])
    asynchronous = "CreateOrModifyElementFromStoragePool" in f.async_methods
    _caps(
        array,
        "CIM_StorageConfigurationCapabilities",
        services["config"],
        "config",
        SupportedStorageElementTypes=_u16s(all_types),
        SupportedStorageElementFeatures=_u16s(f.element_features),
        SupportedAsynchronousActions=actions if asynchronous else [],
        SupportedSynchronousActions=[] if asynchronous else actions,
    )
    _caps(
        array,
        "CIM_ReplicationServiceCapabilities",
        services["replication"],
        "replication",
        SupportedReplicationTypes=_u16s(f.replication_types),
        SupportedAsynchronousActions=_u16s([2]) if asynchronous else [],
        SupportedSynchronousActions=[] if asynchronous else _u16s([2]),
    )
    _caps(
        array,
        "CIM_ProtocolControllerMaskingCapabilities",
        services["masking"],
        "masking",
        ClientSelectableDeviceNumbers=f.lun_choice,
        SPCAllowsNoLUs=not f.group_masking,
        SPCAllowsNoTargets=True,
        SPCAllowsNoInitiators=False,
        PortsPerView=U16(4),
        OneHardwareIDPerView=False,
        MaximumMapCount=U16(4096),
    )
    if f.group_masking:
        _caps(
            array,
            "CIM_GroupMaskingMappingCapabilities",
            services["masking"],
            "groups",
            SupportedDeviceGroupFeatures=_u16s(
                [2, 3, 5] if f.device_group_may_be_empty else [2, 3]
            ),
            SupportedAsynchronousActions=_u16s(range(19, 25)),
            SupportedSynchronousActions=[],
        )
    _caps(
        array,
        "CIM_StorageHardwareIDManagementCapabilities",
        services["hwid"],
        "hwid",
        SupportedStorageHardwareIDTypes=_u16s(array.f.hwid_types),
    )
    return services


def _pool(array: MockArray, name: str, total: int, **props: Any) -> Any:
    path = array.repo.path(array.f.cls("CIM_StoragePool"), InstanceID=f"{array.f.prefix}+{name}")
    array.repo.add(
        path,
        ElementName=name,
        PoolID=name,
        TotalManagedSpace=U64(total),
        RemainingManagedSpace=U64(total),
        OperationalStatus=[U16(2)],
        **props,
    )
    array.repo.link("CIM_HostedStoragePool", GroupComponent=array.repo.system, PartComponent=path)
    return path


def _pools_and_disks(array: MockArray) -> None:
    f, repo = array.f, array.repo
    disk_size = 4 * TiB
    array.primordial_pool = _pool(
        array, "primordial", 12 * disk_size, Primordial=True, Usage=U16(2)
    )
    for name, total, types, ratio in f.pools:
        extra = {"SpaceLimit": U64(int(total * ratio))} if ratio else {}
        path = _pool(array, name, total, Primordial=False, Usage=U16(2), **extra)
        _caps(
            array,
            "CIM_StorageConfigurationCapabilities",
            path,
            f"pool-{name}",
            SupportedStorageElementTypes=_u16s(types),
        )
        array.pools[name] = path
    array.delta_pool = _pool(array, "snapshots", 2 * TiB, Primordial=False, Usage=U16(4))
    owners = [array.pools[f.pools[0][0]]] * 8 + [array.pools[f.pools[1][0]]] * 2 + [None] * 2
    for number, owner in enumerate(owners):
        drive = repo.device_path("CIM_DiskDrive", f"DISK{number:02d}")
        status = [U16(5)] if number == 9 else [U16(2)]
        repo.add(
            drive,
            ElementName=f"disk{number:02d}",
            Name=f"{f.prefix}DSK{number:06d}",
            OperationalStatus=status,
            DiskType=U16(3 if number < 8 else 2),
            InterconnectType=U16(5),
        )
        extent = repo.device_path("CIM_DiskExtent", f"EXT{number:02d}")
        repo.add(extent, BlockSize=U64(512), NumberOfBlocks=U64(disk_size // 512), Primordial=True)
        repo.link("CIM_MediaPresent", Antecedent=drive, Dependent=extent)
        repo.link(
            "CIM_ConcreteComponent", GroupComponent=array.primordial_pool, PartComponent=extent
        )
        if owner is not None:
            repo.link("CIM_ConcreteComponent", GroupComponent=owner, PartComponent=extent)


def _ports(array: MockArray) -> list[Any]:
    """Two front-end FC ports, one back-end port, one iSCSI target with two portals; returns
    the target endpoints (what a target masking group holds)."""
    f, repo = array.f, array.repo
    endpoints = []
    for number, usage in ((1, 2), (2, 2), (3, 3)):
        wwpn = f"500A0981000000{number:02X}"
        port = repo.device_path("CIM_FCPort", f"FC{number}")
        repo.add(
            port,
            PermanentAddress=wwpn,
            UsageRestriction=U16(usage),
            Speed=U64(32 * 10**9),
            OperationalStatus=[U16(2)],
            ElementName=f"fc{number}",
        )
        if usage == 2:
            endpoint = _endpoint(array, "CIM_SCSIProtocolEndpoint", wwpn, Role=U16(3))
            repo.link("CIM_DeviceSAPImplementation", Antecedent=port, Dependent=endpoint)
            endpoints.append(endpoint)
    iqn = f"iqn.2024-01.com.{f.name}:{f.system_name.lower()}"
    iscsi = _endpoint(
        array,
        "CIM_iSCSIProtocolEndpoint",
        f"{iqn},t,0x0001",
        Role=U16(3),
        OperationalStatus=[U16(2)],
    )
    endpoints.append(iscsi)
    tcp = _endpoint(array, "CIM_TCPProtocolEndpoint", "tcp-3260", PortNumber=U32(3260))
    repo.link("CIM_BindsTo", Antecedent=tcp, Dependent=iscsi)
    for number, address in enumerate(("192.0.2.10", "192.0.2.11")):
        ip = _endpoint(array, "CIM_IPProtocolEndpoint", f"ip-{number}", IPv4Address=address)
        repo.link("CIM_BindsTo", Antecedent=ip, Dependent=tcp)
    return endpoints


def _endpoint(array: MockArray, base: str, name: str, **props: Any) -> Any:
    f = array.f
    path = array.repo.path(
        f.cls(base),
        SystemCreationClassName=f.cls("CIM_StorageSystem"),
        SystemName=f.system_name,
        CreationClassName=f.cls(base),
        Name=name,
    )
    array.repo.add(path, **props)
    return path


def populate(array: MockArray) -> None:
    """Everything a fresh array has (no volumes)."""
    _profiles(array)
    _system(array)
    services = _services(array)
    array.services = services  # type: ignore[attr-defined]
    _pools_and_disks(array)
    endpoints = _ports(array)
    populate_hardware(array)
    if array.f.group_masking:  # a pre-configured "all ports" target group, as arrays ship
        repo = array.repo
        group = repo.path(array.f.cls("CIM_TargetMaskingGroup"), InstanceID="MG-ALLPORTS")
        repo.add(group, ElementName="all-ports", DeleteOnEmpty=False)
        repo.link("CIM_HostedCollection", Antecedent=repo.system, Dependent=group)
        for endpoint in endpoints:
            repo.link("CIM_MemberOfCollection", Collection=group, Member=endpoint)


def add_volumes(
    array: MockArray, count: int, pool_name: str | None = None, size: int = GiB
) -> list[Any]:
    """``count`` existing volumes (half thin), added in bulk; returns their paths."""
    pool = array.pools[pool_name or array.f.pools[0][0]]
    objects, paths = [], []
    for index in range(count):
        number = array.repo.next_id()
        thin = index % 2 == 0
        path = array.repo.device_path("CIM_StorageVolume", f"{number:05X}")
        props = dict(path.keybindings)
        props.update(array.volume_props(number, f"vol{index:05d}", size, thin))
        objects.append(CIMInstance(path.classname, properties=props, path=path))
        link = array.repo.path("CIM_AllocatedFromStoragePool", Antecedent=pool, Dependent=path)
        objects.append(
            CIMInstance(
                "CIM_AllocatedFromStoragePool",
                path=link,
                properties={
                    "Antecedent": pool,
                    "Dependent": path,
                    "SpaceConsumed": U64(0 if thin else size),
                },
            )
        )
        paths.append(path)
    stats = array.conn.statistics
    enabled = stats.enabled
    stats.disable()  # pywbem 1.9.1 add_cimobjects(list) nests one timer and fails with stats on
    try:
        array.conn.add_cimobjects(objects, namespace=array.f.namespace)
    finally:
        if enabled:
            stats.enable()
    instance = array.repo.get(pool)
    grown = int(instance["TotalManagedSpace"]) + count * size
    if instance.get("SpaceLimit") is not None:  # keep the subscription ratio
        ratio = int(instance["SpaceLimit"]) / int(instance["TotalManagedSpace"])
        instance["SpaceLimit"] = U64(int(grown * ratio))
    instance["TotalManagedSpace"] = U64(grown)
    array.repo.put(instance)
    array.recompute(pool)
    return paths
