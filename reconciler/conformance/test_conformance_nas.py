# mypy: disable-error-code="union-attr, arg-type"
"""Provider conformance suite, part 3: file systems, their snapshots and NFS exports
(``pytest -p storplan.conformance --pyargs storplan.conformance --storplan-uri URI``).

Outcomes are checked by observing the array afterwards.  What is real: the provider under test;
without ``--storplan-uri``, a real simulator SQLite file per test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from storplan.conformance.plugin import find, spec_view
from storplan.errors import AlreadyExists, Busy, InvalidArgument, NotFound
from storplan.model import Access, ExportClient, ExportOptions, FileSystem, Kind, Squash, spec_of
from storplan.model import Capability as C
from storplan.session import Session

Factory = Callable[..., Any]


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


def test_fs_clone(
    array: Session, new_filesystem: Factory, names: Factory, requires: Factory, limits: Any
) -> None:
    requires(C.FS_SNAPSHOTS, C.FS_CLONES)
    source = new_filesystem()
    snapshot = array.create_fs_snapshot(source, names("fsnap")).result
    name = names("clone")
    job = array.create_fs_clone(snapshot, name)
    clone = find(array, Kind.FILESYSTEMS, job.result.id)
    assert clone.id != source.id and spec_of(clone) == spec_of(job.result)
    assert (clone.name, clone.pool_id, clone.system_id) == (name, source.pool_id, source.system_id)
    assert (clone.size, clone.clone_of) == (source.size, snapshot.id)
    assert array.create_fs_clone(snapshot, name).result.id == clone.id  # idempotent by name
    before = spec_view(array.observe())
    with pytest.raises(AlreadyExists):  # the same name, another size: not the same clone
        array.create_fs_clone(snapshot, name, 2 * source.size)
    with pytest.raises(InvalidArgument):  # smaller than its source: a shrink at birth
        array.create_fs_clone(snapshot, names("small"), source.size - limits.size_alignment)
    assert spec_view(array.observe()) == before
    bigger = array.create_fs_clone(snapshot, names("big"), 2 * source.size).result
    assert find(array, Kind.FILESYSTEMS, bigger.id).size == 2 * source.size
    array.delete_fs_snapshot(snapshot)  # its clones stand alone from now on
    assert find(array, Kind.FILESYSTEMS, clone.id).clone_of is None
    assert array.delete_filesystem(clone).result is None
    assert find(array, Kind.FILESYSTEMS, clone.id) is None
    assert find(array, Kind.FILESYSTEMS, source.id) is not None


DEFAULT_EXPORT = ExportOptions()
EXPORT_OPTIONS = [  # (capabilities needed, options given, options observed)
    pytest.param(
        [],
        {"clients": ["host-b", "10.0.0.0/24", "host-b", "host-a"]},
        {"clients": tuple(ExportClient(m) for m in ("10.0.0.0/24", "host-a", "host-b"))},
        id="clients",
    ),
    pytest.param(
        [],
        {"clients": [{"match": "host-a", "access": "ro"}, {"match": "*", "access": "ro"}]},
        {"clients": (ExportClient("*", Access.RO), ExportClient("host-a", Access.RO))},
        id="read-only",
    ),
    pytest.param(
        [C.NFS_CLIENT_RULES],
        {"clients": [{"match": "10.0.1.0/24", "access": "ro"}, "10.0.0.0/24"]},
        {"clients": (ExportClient("10.0.0.0/24"), ExportClient("10.0.1.0/24", Access.RO))},
        id="client-rules",
    ),
    pytest.param([C.NFS_ROOT_SQUASH], {"clients": [{"match": "*", "squash": "none"}]},
                 {"clients": (ExportClient("*", squash=Squash.NONE),)}, id="no-root-squash"),
    pytest.param([C.NFS_ALL_SQUASH], {"clients": [{"match": "*", "squash": "all"}]},
                 {"clients": (ExportClient("*", squash=Squash.ALL),)}, id="all-squash"),
    pytest.param([C.NFS_ANON_IDS], {"anon_uid": 65534, "anon_gid": 65533},
                 {"anon_uid": 65534, "anon_gid": 65533}, id="anon-ids"),
    pytest.param([C.NFS_SECURITY], {"security": ["krb5p", "sys", "krb5"]},
                 {"security": ("krb5", "krb5p", "sys")}, id="security"),
    pytest.param([C.NFS_ASYNC], {"sync": False}, {"sync": False}, id="async"),
    pytest.param([C.NFS_VERSIONS], {"nfs_versions": ["4.2", "4.1"]},
                 {"nfs_versions": ("4.1", "4.2")}, id="versions"),
]  # fmt: skip


def export_options(array: Session, export_id: str) -> ExportOptions:
    """The options an export is observed with now."""
    options: ExportOptions = find(array, Kind.EXPORTS, export_id).options()
    return options


def expected_options(changes: dict[str, Any]) -> ExportOptions:
    """The default options with ``changes``."""
    from dataclasses import replace

    return replace(DEFAULT_EXPORT, **changes)


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
        array.create_export(filesystem, path, ExportOptions.canonical(security=["sys", "krb5"]))
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
    wanted = ExportOptions.canonical(**options)
    created = array.create_export(filesystem, f"/{names('export')}", wanted).result
    assert export_options(array, created.id) == expected_options(expected)
    plain = array.create_export(filesystem, f"/{names('export')}").result
    modified = array.modify_export(plain, wanted).result
    assert export_options(array, plain.id) == expected_options(expected)
    assert spec_of(modified) == spec_of(find(array, Kind.EXPORTS, plain.id))
    assert (modified.path, modified.filesystem_id) == (plain.path, filesystem.id)
    array.modify_export(plain, ExportOptions())
    assert export_options(array, plain.id) == DEFAULT_EXPORT
