"""The two vendor flavours the mock array can play.

* ``ACME``: a modern SMI-S 1.6 array: Group Masking and Mapping (plus Masking and Mapping),
  asynchronous jobs for every configuration method, pull operations, thin and thick pools,
  snapshots, clones and mirrors, client-selectable LUNs, grow/shrink/rename.
* ``BOLT``: an older SMI-S 1.5 array: Masking and Mapping only (``ExposePaths``), synchronous
  methods, no pull operations (``CIM_ERR_NOT_SUPPORTED``), ``root/interop``, VPD83 in
  ``OtherIdentifyingInfo``, grow only, snapshots and clones, no LUN choice, and the
  ``FC Target Port`` profile-name typo some arrays really register.
* ``ACME_ISCSI``: ACME with iSCSI initiators only (not in ``FLAVOURS``: used where a test
  needs it).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = ["ACME", "ACME_ISCSI", "BOLT", "FLAVOURS", "Flavour"]

TiB = 1 << 40


@dataclass(frozen=True)
class Flavour:
    """Everything that differs between the mock vendors."""

    name: str
    prefix: str
    vendor: str
    model: str
    firmware: str
    interop: str
    namespace: str
    system_name: str
    profiles: tuple[tuple[str, str], ...]
    group_masking: bool
    async_methods: frozenset[str]
    pull: bool
    element_features: tuple[int, ...]
    replication_types: tuple[int, ...]
    snapshot_operations: tuple[int, ...]
    lun_choice: bool
    device_group_may_be_empty: bool
    vpd83_in_name: bool
    unique_names: bool
    max_volume_size: int
    job_polls: int = 1
    hwid_types: tuple[int, ...] = (2, 5)  # StorageHardwareID types: 2 FC port WWN, 5 iSCSI name
    pools: tuple[tuple[str, int, tuple[int, ...], float | None], ...] = ()

    def cls(self, base: str) -> str:
        """The vendor class name for a CIM base class name (``CIM_StoragePool`` -> ...)."""
        return f"{self.prefix}_{base.removeprefix('CIM_')}"


_ASYNC = frozenset(
    {
        "CreateOrModifyElementFromStoragePool",
        "ReturnToStoragePool",
        "CreateElementReplica",
        "ModifyReplicaSynchronization",
        "CreateGroup",
        "DeleteGroup",
        "AddMembers",
        "RemoveMembers",
        "CreateMaskingView",
        "DeleteMaskingView",
        "ExposePaths",
        "HidePaths",
    }
)

ACME = Flavour(
    name="acme",
    prefix="ACME",
    vendor="ACME Storage",
    model="ACME-9000",
    firmware="9.4.2",
    interop="interop",
    namespace="root/acme",
    system_name="ACME-ARRAY-1",
    profiles=(
        ("Array", "1.6.0"),
        ("Block Services", "1.6.0"),
        ("Masking and Mapping", "1.6.0"),
        ("Group Masking and Mapping", "1.6.0"),
        ("Replication Services", "1.6.0"),
        ("Job Control", "1.5.0"),
        ("Disk Drive Lite", "1.6.0"),
        ("FC Target Ports", "1.6.0"),
        ("iSCSI Target Ports", "1.6.0"),
        ("Thin Provisioning", "1.6.0"),
        ("Block Server Performance", "1.6.0"),
        ("Indication", "1.6.0"),
        ("Array", "1.4.0"),
    ),
    group_masking=True,
    async_methods=_ASYNC,
    pull=True,
    element_features=(3, 5, 12, 13),
    replication_types=(2, 3, 6, 7, 10, 11),
    snapshot_operations=(8, 15, 19),
    lun_choice=True,
    device_group_may_be_empty=False,
    vpd83_in_name=True,
    unique_names=False,
    max_volume_size=64 * TiB,
    pools=(
        ("gold", 20 * TiB, (2, 5, 7), 4.0),
        ("silver", 8 * TiB, (2, 7), None),
    ),
)

BOLT = Flavour(
    name="bolt",
    prefix="BOLT",
    vendor="Bolt Systems",
    model="B-500",
    firmware="5.1",
    interop="root/interop",
    namespace="root/bolt",
    system_name="BOLT-0042",
    profiles=(
        ("Array", "1.5.0"),
        ("Block Services", "1.5.0"),
        ("Masking and Mapping", "1.5.0"),
        ("Replication Services", "1.5.0"),
        ("Disk Drive Lite", "1.5.0"),
        ("FC Target Port", "1.4.0"),
        ("iSCSI Target Ports", "1.5.0"),
    ),
    group_masking=False,
    async_methods=frozenset(),
    pull=False,
    element_features=(3, 12),
    replication_types=(6, 10),
    snapshot_operations=(8,),
    lun_choice=False,
    device_group_may_be_empty=False,
    vpd83_in_name=False,
    unique_names=True,
    max_volume_size=16 * TiB,
    pools=(
        ("pool0", 10 * TiB, (2, 5), 2.0),
        ("legacy", 4 * TiB, (2,), None),
    ),
)

FLAVOURS = {f.name: f for f in (ACME, BOLT)}
"""The flavours every smis test runs against."""

ACME_ISCSI = replace(ACME, name="acme-iscsi", hwid_types=(5,))
"""ACME with iSCSI host ports only: it registers no FC port WWN hardware ids (the preflight
corpus proves an FC initiator is refused before anything changes)."""
