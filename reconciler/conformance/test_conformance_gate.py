# mypy: disable-error-code="union-attr, arg-type"
"""Provider conformance suite, part 4: the core's capability gate — for every operation of the
catalogue and every capability it can need, the core refuses before calling a provider that
did not declare it (``pytest -p storplan.conformance --pyargs storplan.conformance``).

The one stand-in is ``HidingProvider``: the real provider under test, declaring one capability
fewer to the core.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from storplan.catalogue import OPERATIONS, REPLICA_CAPABILITY
from storplan.conformance.plugin import HidingProvider
from storplan.credentials import Secret
from storplan.errors import Unsupported
from storplan.model import Capability as C
from storplan.model import ExportOptions, FileSystem, Replica, ReplicaKind, Size, Volume
from storplan.session import Session

Factory = Callable[..., Any]


# ------------------------------------------------------------------ the core's capability gate
X, IQN = "cfk-no-such-object", "iqn.2024-01.io.storplan.conformance:gate"
EXPORT_NEEDS = [  # an export option and the capability it needs
    (C.NFS_ROOT_SQUASH, ExportOptions.canonical(clients=[{"match": "*", "squash": "none"}])),
    (C.NFS_ALL_SQUASH, ExportOptions.canonical(clients=[{"match": "*", "squash": "all"}])),
    (C.NFS_CLIENT_RULES, ExportOptions.canonical(clients=["a", {"match": "b", "access": "ro"}])),
    (C.NFS_ANON_IDS, ExportOptions.canonical(anon_uid=65534)),
    (C.NFS_SECURITY, ExportOptions.canonical(security=["krb5"])),
    (C.NFS_ASYNC, ExportOptions.canonical(sync=False)),
    (C.NFS_VERSIONS, ExportOptions.canonical(nfs_versions=["4.2"])),
]
Call = Callable[[Session, int, str], object]
GATE: list[tuple[C, str, Call]] = [
    (C.POOL_CREATE, "create_pool", lambda s, u, n: s.create_pool(X, n, [X])),
    (C.POOL_CREATE, "delete_pool", lambda s, u, n: s.delete_pool(X)),
    (C.VOLUMES, "create_volume", lambda s, u, n: s.create_volume(X, n, u)),
    (C.VOLUME_THIN, "create_volume", lambda s, u, n: s.create_volume(X, n, u, thin=True)),
    (C.VOLUME_THICK, "create_volume", lambda s, u, n: s.create_volume(X, n, u, thin=False)),
    (C.VOLUMES, "delete_volume", lambda s, u, n: s.delete_volume(X)),
    (C.VOLUME_GROW, "resize_volume",
     lambda s, u, n: s.resize_volume(Volume(X, X, X, n, Size(2 * u), True), 4 * u)),
    (C.VOLUME_SHRINK, "resize_volume",
     lambda s, u, n: s.resize_volume(Volume(X, X, X, n, Size(2 * u), True), u)),
    (C.VOLUME_RENAME, "rename_volume", lambda s, u, n: s.rename_volume(X, n)),
    # with an initiator: providers where a host exists only through one (min 1) refuse [] first
    (C.ACCESS_GROUPS, "create_access_group", lambda s, u, n: s.create_access_group(X, n, [IQN])),
    (C.ACCESS_GROUPS, "delete_access_group", lambda s, u, n: s.delete_access_group(X)),
    (C.ACCESS_GROUPS, "add_initiator", lambda s, u, n: s.add_initiator(X, IQN)),
    (C.ACCESS_GROUPS, "remove_initiator", lambda s, u, n: s.remove_initiator(X, IQN)),
    (C.INITIATOR_ISCSI, "create_access_group", lambda s, u, n: s.create_access_group(X, n, [IQN])),
    (C.INITIATOR_FC, "add_initiator", lambda s, u, n: s.add_initiator(X, "2fff000000000001")),
    (C.INITIATOR_NVME, "add_initiator", lambda s, u, n: s.add_initiator(X, "nqn.2024-01.x.y:z")),
    (C.CHAP, "set_chap", lambda s, u, n: s.set_chap(X, IQN, n, Secret(n))),
    (C.CHAP_MUTUAL, "set_chap",
     lambda s, u, n: s.set_chap(X, IQN, n, Secret(n), mutual_user=n, mutual_secret=Secret(n))),
    (C.MASKING, "map_volume", lambda s, u, n: s.map_volume(X, X)),
    (C.MASKING_LUN_CHOICE, "map_volume", lambda s, u, n: s.map_volume(X, X, 1)),
    (C.MASKING, "unmap_volume", lambda s, u, n: s.unmap_volume(X, X)),
    (C.SNAPSHOTS, "create_snapshot", lambda s, u, n: s.create_snapshot(X, n)),
    (C.SNAPSHOTS, "delete_snapshot", lambda s, u, n: s.delete_snapshot(X)),
    (C.SNAPSHOT_RESTORE, "restore_snapshot", lambda s, u, n: s.restore_snapshot(X)),
    *[(REPLICA_CAPABILITY[k.value], "create_replica",
       lambda s, u, n, k=k: s.create_replica(X, n, k)) for k in ReplicaKind],
    *[(REPLICA_CAPABILITY[k.value], "delete_replica",
       lambda s, u, n, k=k: s.delete_replica(Replica(X, X, X, k))) for k in ReplicaKind],
    (C.FILESYSTEMS, "create_filesystem", lambda s, u, n: s.create_filesystem(X, n, u)),
    (C.FILESYSTEMS, "delete_filesystem", lambda s, u, n: s.delete_filesystem(X)),
    (C.FS_GROW, "resize_filesystem",
     lambda s, u, n: s.resize_filesystem(FileSystem(X, X, X, n, Size(2 * u)), 4 * u)),
    (C.FS_SHRINK, "resize_filesystem",
     lambda s, u, n: s.resize_filesystem(FileSystem(X, X, X, n, Size(2 * u)), u)),
    (C.FS_SNAPSHOTS, "create_fs_snapshot", lambda s, u, n: s.create_fs_snapshot(X, n)),
    (C.FS_SNAPSHOTS, "delete_fs_snapshot", lambda s, u, n: s.delete_fs_snapshot(X)),
    (C.FS_SNAPSHOT_RESTORE, "restore_fs_snapshot", lambda s, u, n: s.restore_fs_snapshot(X)),
    (C.FS_CLONES, "create_fs_clone", lambda s, u, n: s.create_fs_clone(X, n)),
    (C.NFS_EXPORTS, "create_export", lambda s, u, n: s.create_export(X, f"/{n}")),
    (C.NFS_EXPORTS, "modify_export", lambda s, u, n: s.modify_export(X, ExportOptions())),
    (C.NFS_EXPORTS, "delete_export", lambda s, u, n: s.delete_export(X)),
    *[(capability, "create_export", lambda s, u, n, o=options: s.create_export(X, f"/{n}", o))
      for capability, options in EXPORT_NEEDS],
    *[(capability, "modify_export", lambda s, u, n, o=options: s.modify_export(X, o))
      for capability, options in EXPORT_NEEDS],
]  # fmt: skip


@pytest.mark.parametrize(
    ("capability", "operation", "call"), GATE, ids=[f"{c.value}-{op}" for c, op, _ in GATE]
)
def test_core_refuses_undeclared_capability(
    array: Session, unit: int, names: Factory, capability: C, operation: str, call: Call
) -> None:
    hiding = HidingProvider(array.provider, capability)
    with pytest.raises(Unsupported) as refused:
        call(Session(hiding.as_provider(), array.uri), unit, names("gate"))
    assert (refused.value.provider, refused.value.capability) == (hiding.name, capability.value)
    assert hiding.name in str(refused.value) and capability.value in str(refused.value)
    assert hiding.calls == [], f"the core called the provider's {operation}"


def test_core_passes_declared_operations_through(
    array: Session, new_volume: Factory, unit: int, names: Factory
) -> None:
    volume = new_volume()  # skips unless the provider can create volumes
    hiding = HidingProvider(array.provider, C.NFS_SECURITY)
    session = Session(hiding.as_provider(), array.uri)
    again = session.create_volume(volume.pool_id, volume.name, volume.size, thin=volume.thin)
    assert again.result == volume and hiding.calls == ["create_volume"]


def test_gate_covers_every_catalogue_operation() -> None:
    """A new catalogue operation must get a gate case here (the kit reads the catalogue)."""
    assert {operation for _, operation, _ in GATE} == set(OPERATIONS)
