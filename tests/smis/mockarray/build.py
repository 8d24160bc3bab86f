"""Assembling a mock array: namespaces, schema, vendor classes, contents, method providers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pywbem import CIMInstance, NocaseDict
from pywbem_mock import FakedWBEMConnection, InMemoryObjectStore, InMemoryRepository

from .array import Methods, MockArray
from .block import block_handlers, pool_handlers
from .flavours import Flavour
from .indications import INTEROP_MOF, install_indications
from .masking import gmm_handlers, hwid_handlers, spc_handlers
from .population import add_volumes, populate
from .replication import replication_caps_handlers, replication_handlers
from .server import MockConnection

__all__ = ["build_array"]

SCHEMA = (Path(__file__).parent / "schema.mof").read_text()

# vendor class suffix -> CIM superclass (the suffix is the superclass name unless given)
_VENDOR_CLASSES = {
    "StorageSystem": "CIM_ComputerSystem",
    "ArrayChassis": "CIM_PhysicalPackage",
    "DiskExtent": "CIM_StorageExtent",
    **{
        name: f"CIM_{name}"
        for name in [
            "SoftwareIdentity",
            "ConcreteJob",
            "StorageVolume",
            "DiskDrive",
            "Fan",
            "Battery",
            "BlockStorageStatisticalData",
            "FCPort",
            "SCSIProtocolController",
            "SCSIProtocolEndpoint",
            "iSCSIProtocolEndpoint",
            "TCPProtocolEndpoint",
            "IPProtocolEndpoint",
            "StoragePool",
            "StorageConfigurationCapabilities",
            "ReplicationServiceCapabilities",
            "ProtocolControllerMaskingCapabilities",
            "GroupMaskingMappingCapabilities",
            "StorageHardwareIDManagementCapabilities",
            "StorageHardwareID",
            "AuthorizedPrivilege",
            "InitiatorMaskingGroup",
            "TargetMaskingGroup",
            "DeviceMaskingGroup",
            "StorageConfigurationService",
            "ControllerConfigurationService",
            "GroupMaskingMappingService",
            "StorageHardwareIDManagementService",
            "ReplicationService",
        ]
    },
}


def _vendor_mof(flavour: Flavour) -> str:
    return "\n".join(
        f"class {flavour.prefix}_{name} : {base} {{ }};" for name, base in _VENDOR_CLASSES.items()
    )


_SCHEMAS: dict[tuple[str, str, str], Any] = {}


def _schema(flavour: Flavour) -> Any:
    """The compiled classes of a flavour (both namespaces), compiled once per process: the
    MOF compiler is by far the slowest part of building a mock array."""
    # keyed by what the classes depend on: variants of a flavour (dataclasses.replace) share it
    cached = (flavour.prefix, flavour.interop, flavour.namespace)
    if cached not in _SCHEMAS:
        conn = FakedWBEMConnection(default_namespace=flavour.namespace)
        for namespace in (flavour.interop, flavour.namespace):
            if namespace not in conn.namespaces:
                conn.add_namespace(namespace)
            conn.compile_mof_string(SCHEMA, namespace=namespace)
            # the interop namespace needs the vendor classes too: pywbem_mock checks the
            # ResultClass of cross-namespace associators against the request's namespace
            conn.compile_mof_string(_vendor_mof(flavour), namespace=namespace)
        conn.compile_mof_string(INTEROP_MOF, namespace=flavour.interop)
        _SCHEMAS[cached] = conn.cimrepository
    return _SCHEMAS[cached]


def _fresh_repository(schema: Any) -> Any:
    """A repository sharing the (never modified) class and qualifier stores of ``schema``
    with empty instance stores of its own."""
    fresh = InMemoryRepository()
    fresh._repository = NocaseDict()
    for namespace, stores in schema._repository.items():
        fresh._repository[namespace] = {
            "classes": stores["classes"],
            "qualifiers": stores["qualifiers"],
            "instances": InMemoryObjectStore(CIMInstance),
        }
    return fresh


def build_array(
    flavour: Flavour, *, volumes: int = 0, stats: bool = True, **connection: Any
) -> MockArray:
    """A fresh mock array of ``flavour`` with ``volumes`` existing volumes.

    The connection (``array.conn``) is a :class:`MockConnection`; pull operations are
    refused (CIM_ERR_NOT_SUPPORTED) when the flavour has none.
    """
    conn = MockConnection(
        default_namespace=flavour.namespace,
        use_pull_operations=False,
        stats_enabled=stats,
        disable_pull_operations=not flavour.pull,
        **connection,
    )
    conn.cimrepository.load(_fresh_repository(_schema(flavour)))
    for namespace in (flavour.interop, flavour.namespace):
        conn.iterate_without_copies(namespace)
    array = MockArray(conn, flavour)
    conn.runner = array.jobs
    populate(array)
    install_indications(conn, flavour.interop)
    f, repo = flavour, conn.cimrepository
    providers = [
        Methods(repo, [f.cls("CIM_StorageConfigurationService")], block_handlers(array)),
        Methods(repo, [f.cls("CIM_StoragePool")], pool_handlers(array)),
        Methods(repo, [f.cls("CIM_StorageHardwareIDManagementService")], hwid_handlers(array)),
        Methods(repo, [f.cls("CIM_ReplicationService")], replication_handlers(array)),
        Methods(
            repo, [f.cls("CIM_ReplicationServiceCapabilities")], replication_caps_handlers(array)
        ),
        Methods(repo, [f.cls("CIM_GroupMaskingMappingService")], gmm_handlers(array))
        if f.group_masking
        else Methods(repo, [f.cls("CIM_ControllerConfigurationService")], spc_handlers(array)),
    ]
    for provider in providers:
        conn.register_provider(provider, namespaces=[flavour.namespace])
    if volumes:
        add_volumes(array, volumes)
    if stats:
        conn.statistics.reset()
    return array
