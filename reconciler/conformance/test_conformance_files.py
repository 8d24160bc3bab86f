# mypy: disable-error-code="union-attr, arg-type"
"""Provider conformance suite, part 2: hosts and masking, file systems and NFS exports, and
the core's capability gate (``pytest --pyargs storplan.conformance --storplan-uri URI``).

Outcomes are checked by observing the array afterwards.  What is real: the provider under test;
without ``--storplan-uri``, a real simulator SQLite file per test.  The one stand-in is
``HidingProvider``: the real provider, declaring one capability fewer to the core.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any, cast

import pytest
from storplan.conformance.plugin import HidingProvider, find, spec_view
from storplan.credentials import Secret
from storplan.errors import AlreadyExists, Busy, NotFound, StorplanError, Unsupported
from storplan.model import (
    Access,
    AccessGroup,
    FileSystem,
    Initiator,
    InitiatorKind,
    Kind,
    Mapping,
    Replica,
    ReplicaKind,
    Size,
    System,
    Volume,
    spec_of,
    to_dict,
)
from storplan.model import Capability as C
from storplan.session import Session

Factory = Callable[..., Any]
NOT_CANONICAL: dict[InitiatorKind, Callable[[str], str]] = {  # how people type identifiers
    InitiatorKind.ISCSI: str.upper,
    InitiatorKind.FC: lambda wwpn: "0x" + wwpn.replace(":", "").upper(),
    InitiatorKind.NVME: lambda nqn: f"  {nqn}\t",
}


# ----------------------------------------------------------------------- hosts and masking
def initiator_ids(array: Session, group: AccessGroup) -> list[str]:
    """The ids of the initiators ``group`` is observed with now."""
    return [i.id for i in find(array, Kind.ACCESS_GROUPS, group.id).initiators]


def mappings_of(array: Session, volume: Volume) -> list[Mapping]:
    """The observed mappings of ``volume``."""
    return [m for m in array.observe({Kind.MAPPINGS}).mappings if m.volume_id == volume.id]


@pytest.mark.parametrize("kind", list(InitiatorKind), ids=str)
def test_create_access_group_canonicalises_initiators(
    array: Session, system: System, names: Factory, new_initiator: Factory, requires: Factory,
    kind: InitiatorKind,
) -> None:  # fmt: skip
    requires(C.ACCESS_GROUPS, C(f"initiator.{kind.value}"))
    first, second = (Initiator.parse(new_initiator(kind), kind) for _ in range(2))
    typed = [NOT_CANONICAL[kind](second.id), first.id, NOT_CANONICAL[kind](first.id)]
    name = names("host")
    job = array.create_access_group(system, name, typed)
    group = find(array, Kind.ACCESS_GROUPS, job.result.id)
    assert (group.name, group.system_id) == (name, system.id)
    assert group.initiators == tuple(sorted([first, second]))
    assert spec_of(group) == spec_of(job.result)


def test_access_group_is_idempotent_by_name(
    array: Session, system: System, new_group: Factory, new_initiator: Factory
) -> None:
    group = new_group()
    members = [i.id for i in group.initiators]
    assert array.create_access_group(system, group.name, members).result.id == group.id
    with pytest.raises(AlreadyExists):
        array.create_access_group(system, group.name, [*members, new_initiator()])
    assert initiator_ids(array, group) == members


def test_initiator_cannot_be_in_two_groups(
    array: Session, system: System, names: Factory, new_group: Factory
) -> None:
    group, other = new_group(), new_group()
    shared = group.initiators[0].id
    with pytest.raises(AlreadyExists):
        array.create_access_group(system, names("host"), [shared])
    with pytest.raises(AlreadyExists):
        array.add_initiator(other, shared)
    owners = [g.id for g in array.access_groups() if shared in {i.id for i in g.initiators}]
    assert owners == [group.id]


def test_add_and_remove_initiator(
    array: Session, new_group: Factory, new_initiator: Factory
) -> None:
    group, extra = new_group(), new_initiator()
    original = group.initiators[0].id
    assert isinstance(array.add_initiator(group, extra).result, AccessGroup)
    assert initiator_ids(array, group) == sorted([original, Initiator.parse(extra).id])
    array.add_initiator(group, extra)  # already there: nothing changes
    assert len(initiator_ids(array, group)) == 2
    assert isinstance(array.remove_initiator(group, extra).result, AccessGroup)
    assert initiator_ids(array, group) == [original]
    with pytest.raises(NotFound):
        array.remove_initiator(group, extra)


def test_chap_user_is_observed_and_secret_never(
    array: Session, new_group: Factory, new_initiator: Factory, names: Factory, requires: Factory
) -> None:
    requires(C.ACCESS_GROUPS, C.INITIATOR_ISCSI, C.CHAP)
    initiator, user = new_initiator(InitiatorKind.ISCSI), names("chap")
    group, secret = new_group([initiator]), f"cfk-secret-{secrets.token_hex(8)}"
    job = array.set_chap(group, initiator, user, Secret(secret))
    observed = find(array, Kind.ACCESS_GROUPS, group.id)
    assert [i.chap_user for i in observed.initiators] == [user]
    assert spec_of(job.result) == spec_of(observed)
    state = array.observe()
    dumped = json.dumps({k.value: [to_dict(o) for o in state.of(k)] for k in Kind})
    assert secret not in dumped + repr(state) + repr(array.jobs()) + repr(job)
    with pytest.raises(StorplanError) as refused:  # not a member of the group
        array.set_chap(group, new_initiator(InitiatorKind.ISCSI), user, Secret(secret))
    assert secret not in str(refused.value) + repr(refused.value.to_dict())
    array.set_chap(group, initiator, None, None)
    assert [i.chap_user for i in find(array, Kind.ACCESS_GROUPS, group.id).initiators] == [None]


def test_delete_access_group_frees_its_initiators(array: Session, new_group: Factory) -> None:
    group = new_group()
    assert array.delete_access_group(group).result is None
    assert find(array, Kind.ACCESS_GROUPS, group.id) is None
    with pytest.raises(NotFound):
        array.delete_access_group(group)
    assert new_group([i.id for i in group.initiators]).initiators == group.initiators


def test_map_volume_at_the_next_free_lun(
    array: Session, new_volume: Factory, new_group: Factory, limits: Any, requires: Factory
) -> None:
    requires(C.MASKING)
    volume, group = new_volume(), new_group()
    job = array.map_volume(volume, group)
    assert isinstance(job.result, Mapping) and mappings_of(array, volume) == [job.result]
    assert job.result.access_group_id == group.id and 0 <= job.result.lun <= limits.max_lun
    assert array.map_volume(volume, group).result == job.result  # idempotent


def test_map_volume_at_a_chosen_lun(
    array: Session, new_volume: Factory, new_group: Factory, limits: Any, requires: Factory
) -> None:
    requires(C.MASKING, C.MASKING_LUN_CHOICE)
    first, second, group = new_volume(), new_volume(), new_group()
    lun = min(7, limits.max_lun)
    assert array.map_volume(first, group, lun).result == Mapping(first.id, group.id, lun)
    assert mappings_of(array, first) == [Mapping(first.id, group.id, lun)]
    before = spec_view(array.observe())
    with pytest.raises(AlreadyExists):  # the LUN is taken
        array.map_volume(second, group, lun)
    with pytest.raises(AlreadyExists):  # already mapped, at another LUN
        array.map_volume(first, group, lun - 1)
    assert spec_view(array.observe()) == before


def test_mapped_volume_is_busy_until_unmapped(
    array: Session, new_volume: Factory, new_group: Factory, requires: Factory
) -> None:
    requires(C.MASKING)
    volume, group = new_volume(), new_group()
    array.map_volume(volume, group)
    with pytest.raises(Busy):
        array.delete_volume(volume)
    with pytest.raises(Busy):
        array.delete_access_group(group)
    assert find(array, Kind.ACCESS_GROUPS, group.id) is not None
    assert array.unmap_volume(volume, group).result is None
    assert mappings_of(array, volume) == []
    with pytest.raises(NotFound):
        array.unmap_volume(volume, group)
    array.delete_volume(volume)
    assert find(array, Kind.VOLUMES, volume.id) is None


# ---------------------------------------------------------------- file systems and exports
def test_filesystem_lifecycle(
    array: Session, fs_pool: Any, names: Factory, limits: Any, unit: int
) -> None:
    requested, name = 3 * unit + limits.size_alignment // 2, names("fs")
    job = array.create_filesystem(fs_pool, name, requested)
    [filesystem] = array.observe({Kind.FILESYSTEMS}).find(Kind.FILESYSTEMS, name)
    assert filesystem.id == job.result.id and spec_of(filesystem) == spec_of(job.result)
    assert (filesystem.pool_id, filesystem.system_id) == (fs_pool.id, fs_pool.system_id)
    assert filesystem.size == limits.align(requested) >= requested
    assert array.create_filesystem(fs_pool, name, requested).result.id == filesystem.id
    before = spec_view(array.observe())
    with pytest.raises(AlreadyExists):
        array.create_filesystem(fs_pool, name, 2 * requested)
    assert spec_view(array.observe()) == before
    assert array.delete_filesystem(filesystem).result is None
    assert find(array, Kind.FILESYSTEMS, filesystem.id) is None
    with pytest.raises(NotFound):
        array.delete_filesystem(filesystem)


@pytest.mark.parametrize(("capability", "units"), [(C.FS_GROW, 8), (C.FS_SHRINK, 2)])
def test_resize_filesystem(
    array: Session, new_filesystem: Factory, requires: Factory, unit: int, capability: C,
    units: int,
) -> None:  # fmt: skip
    requires(capability)
    filesystem = new_filesystem(4 * unit)
    job = array.resize_filesystem(filesystem, units * unit)
    observed = find(array, Kind.FILESYSTEMS, filesystem.id)
    assert observed.size == units * unit and spec_of(job.result) == spec_of(observed)


def test_fs_snapshot_lifecycle(
    array: Session, new_filesystem: Factory, names: Factory, requires: Factory
) -> None:
    requires(C.FS_SNAPSHOTS)
    filesystem, name = new_filesystem(), names("fsnap")
    job = array.create_fs_snapshot(filesystem, name)
    snapshot = find(array, Kind.FS_SNAPSHOTS, job.result.id)
    assert (snapshot.filesystem_id, snapshot.name) == (filesystem.id, name)
    assert spec_of(snapshot) == spec_of(job.result)
    assert array.create_fs_snapshot(filesystem, name).result.id == snapshot.id
    with pytest.raises(Busy):
        array.delete_filesystem(filesystem)
    assert array.delete_fs_snapshot(snapshot).result is None
    assert find(array, Kind.FS_SNAPSHOTS, snapshot.id) is None
    with pytest.raises(NotFound):
        array.delete_fs_snapshot(snapshot)


def test_restore_fs_snapshot(
    array: Session, new_filesystem: Factory, names: Factory, requires: Factory
) -> None:
    requires(C.FS_SNAPSHOTS, C.FS_SNAPSHOT_RESTORE)
    filesystem = new_filesystem()
    snapshot = array.create_fs_snapshot(filesystem, names("fsnap")).result
    job = array.restore_fs_snapshot(snapshot)
    assert isinstance(job.result, FileSystem) and job.result.id == filesystem.id
    assert spec_of(find(array, Kind.FILESYSTEMS, filesystem.id)) == spec_of(filesystem)
    assert find(array, Kind.FS_SNAPSHOTS, snapshot.id) is not None  # restoring keeps it


DEFAULT_EXPORT = {"clients": ("*",), "access": Access.RW, "root_squash": True,
                  "anon_uid": None, "anon_gid": None, "security": ("sys",)}  # fmt: skip
EXPORT_OPTIONS = [  # (capabilities needed, options given, options observed)
    pytest.param(
        [], {"clients": ["host-b", "10.0.0.0/24", " host-b", "host-a"], "access": "ro"},
        {"clients": ("10.0.0.0/24", "host-a", "host-b"), "access": Access.RO}, id="clients-ro",
    ),
    pytest.param([C.NFS_ROOT_SQUASH], {"root_squash": False}, {"root_squash": False},
                 id="no-root-squash"),
    pytest.param([C.NFS_ANON_IDS], {"anon_uid": 65534, "anon_gid": 65533},
                 {"anon_uid": 65534, "anon_gid": 65533}, id="anon-ids"),
    pytest.param([C.NFS_SECURITY], {"security": ["krb5p", "sys", "krb5"]},
                 {"security": ("krb5", "krb5p", "sys")}, id="security"),
]  # fmt: skip


def export_options(array: Session, export_id: str) -> dict[str, Any]:
    """The options an export is observed with now."""
    return {key: getattr(find(array, Kind.EXPORTS, export_id), key) for key in DEFAULT_EXPORT}


def test_export_lifecycle(
    array: Session, new_filesystem: Factory, names: Factory, requires: Factory
) -> None:
    requires(C.NFS_EXPORTS)
    filesystem, path = new_filesystem(), f"/{names('export')}"
    job = array.create_export(filesystem, path)
    export = find(array, Kind.EXPORTS, job.result.id)
    assert (export.filesystem_id, export.path) == (filesystem.id, path)
    assert spec_of(export) == spec_of(job.result)
    assert export_options(array, export.id) == DEFAULT_EXPORT
    assert array.create_export(filesystem, path).result.id == export.id
    before = spec_view(array.observe())
    with pytest.raises(AlreadyExists):
        array.create_export(filesystem, path, access="ro")
    assert spec_view(array.observe()) == before
    with pytest.raises(Busy):
        array.delete_filesystem(filesystem)
    assert array.delete_export(export).result is None
    assert find(array, Kind.EXPORTS, export.id) is None
    with pytest.raises(NotFound):
        array.delete_export(export)


@pytest.mark.parametrize(("needs", "options", "expected"), EXPORT_OPTIONS)
def test_export_options(
    array: Session, new_filesystem: Factory, names: Factory, requires: Factory,
    needs: list[C], options: dict[str, Any], expected: dict[str, Any],
) -> None:  # fmt: skip
    requires(C.NFS_EXPORTS, *needs)
    filesystem = new_filesystem()
    created = array.create_export(filesystem, f"/{names('export')}", **options).result
    assert export_options(array, created.id) == {**DEFAULT_EXPORT, **expected}
    plain = array.create_export(filesystem, f"/{names('export')}").result
    modified = array.modify_export(plain, **options).result
    assert export_options(array, plain.id) == {**DEFAULT_EXPORT, **expected}
    assert spec_of(modified) == spec_of(find(array, Kind.EXPORTS, plain.id))
    assert (modified.path, modified.filesystem_id) == (plain.path, filesystem.id)
    array.modify_export(plain)
    assert export_options(array, plain.id) == DEFAULT_EXPORT


# ------------------------------------------------------------------ the core's capability gate
X, IQN = "cfk-no-such-object", "iqn.2024-01.io.storplan.conformance:gate"
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
    (C.ACCESS_GROUPS, "create_access_group", lambda s, u, n: s.create_access_group(X, n, [])),
    (C.ACCESS_GROUPS, "delete_access_group", lambda s, u, n: s.delete_access_group(X)),
    (C.ACCESS_GROUPS, "add_initiator", lambda s, u, n: s.add_initiator(X, IQN)),
    (C.ACCESS_GROUPS, "remove_initiator", lambda s, u, n: s.remove_initiator(X, IQN)),
    (C.INITIATOR_ISCSI, "create_access_group", lambda s, u, n: s.create_access_group(X, n, [IQN])),
    (C.INITIATOR_FC, "add_initiator", lambda s, u, n: s.add_initiator(X, "2fff000000000001")),
    (C.INITIATOR_NVME, "add_initiator", lambda s, u, n: s.add_initiator(X, "nqn.2024-01.x.y:z")),
    (C.CHAP, "set_chap", lambda s, u, n: s.set_chap(X, IQN, n, Secret(n))),
    (C.MASKING, "map_volume", lambda s, u, n: s.map_volume(X, X)),
    (C.MASKING_LUN_CHOICE, "map_volume", lambda s, u, n: s.map_volume(X, X, 1)),
    (C.MASKING, "unmap_volume", lambda s, u, n: s.unmap_volume(X, X)),
    (C.SNAPSHOTS, "create_snapshot", lambda s, u, n: s.create_snapshot(X, n)),
    (C.SNAPSHOTS, "delete_snapshot", lambda s, u, n: s.delete_snapshot(X)),
    (C.SNAPSHOT_RESTORE, "restore_snapshot", lambda s, u, n: s.restore_snapshot(X)),
    *[(C(f"replica.{k.value}"), "create_replica", lambda s, u, n, k=k: s.create_replica(X, n, k))
      for k in ReplicaKind],
    *[(C(f"replica.{k.value}"), "delete_replica",
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
    (C.NFS_EXPORTS, "create_export", lambda s, u, n: s.create_export(X, f"/{n}")),
    (C.NFS_EXPORTS, "modify_export", lambda s, u, n: s.modify_export(X)),
    (C.NFS_EXPORTS, "delete_export", lambda s, u, n: s.delete_export(X)),
    (C.NFS_ROOT_SQUASH, "create_export",
     lambda s, u, n: s.create_export(X, f"/{n}", root_squash=False)),
    (C.NFS_ANON_IDS, "modify_export", lambda s, u, n: s.modify_export(X, anon_uid=65534)),
    (C.NFS_SECURITY, "create_export",
     lambda s, u, n: s.create_export(X, f"/{n}", security=["krb5"])),
]  # fmt: skip


@pytest.mark.parametrize(
    ("capability", "operation", "call"), GATE, ids=[f"{c.value}-{op}" for c, op, _ in GATE]
)
def test_core_refuses_undeclared_capability(
    array: Session, unit: int, names: Factory, capability: C, operation: str, call: Call
) -> None:
    hiding = HidingProvider(array.provider, capability)
    with pytest.raises(Unsupported) as refused:
        call(Session(cast(Any, hiding), array.uri), unit, names("gate"))
    assert (refused.value.provider, refused.value.capability) == (hiding.name, capability.value)
    assert hiding.name in str(refused.value) and capability.value in str(refused.value)
    assert hiding.calls == [], f"the core called the provider's {operation}"


def test_core_passes_declared_operations_through(
    array: Session, new_volume: Factory, unit: int, names: Factory
) -> None:
    volume = new_volume()  # skips unless the provider can create volumes
    hiding = HidingProvider(array.provider, C.NFS_SECURITY)
    session = Session(cast(Any, hiding), array.uri)
    again = session.create_volume(volume.pool_id, volume.name, volume.size, thin=volume.thin)
    assert again.result == volume and hiding.calls == ["create_volume"]
