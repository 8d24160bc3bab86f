# mypy: disable-error-code="union-attr, arg-type"
"""Provider conformance suite, part 1: the provider itself, observe and jobs (``pytest -p
storplan.conformance --pyargs storplan.conformance --storplan-uri URI``; volumes and pools are
in ``test_conformance_block.py``).

Outcomes are checked by observing the array afterwards.  What is real: the provider under test;
without ``--storplan-uri``, a real simulator SQLite file per test.  Nothing is mocked.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import storplan.model
from storplan.catalogue import REPLICA_CAPABILITY
from storplan.conformance.plugin import default_thin, find, spec_view
from storplan.errors import NotFound
from storplan.identifiers import canonical_wwn
from storplan.model import (
    Capabilities,
    Initiator,
    Job,
    JobState,
    Kind,
    Pool,
    ReplicaKind,
)
from storplan.model import Capability as C
from storplan.providers import Provider
from storplan.session import Session

Factory = Callable[..., Any]
MODEL_CLASS = {  # the class of each kind's objects, by name
    "systems": "System", "pools": "Pool", "disks": "Disk", "volumes": "Volume",
    "access_groups": "AccessGroup", "mappings": "Mapping", "snapshots": "Snapshot",
    "replicas": "Replica", "filesystems": "FileSystem", "fs_snapshots": "FsSnapshot",
    "exports": "NfsExport", "target_ports": "TargetPort",
}  # fmt: skip
REFERRED = {  # what a field ``<prefix_><name>_id`` refers to
    "system": Kind.SYSTEMS, "pool": Kind.POOLS, "volume": Kind.VOLUMES,
    "access_group": Kind.ACCESS_GROUPS, "filesystem": Kind.FILESYSTEMS,
}  # fmt: skip
IMPLIES = {  # declaring the key is meaningless without the value
    C.VOLUME_THIN: C.VOLUMES, C.VOLUME_THICK: C.VOLUMES, C.VOLUME_GROW: C.VOLUMES,
    C.VOLUME_SHRINK: C.VOLUMES, C.VOLUME_RENAME: C.VOLUMES, C.MASKING: C.ACCESS_GROUPS,
    C.MASKING_LUN_CHOICE: C.MASKING, C.CHAP: C.INITIATOR_ISCSI, C.SNAPSHOTS: C.VOLUMES,
    C.SNAPSHOT_RESTORE: C.SNAPSHOTS, C.CLONES: C.VOLUMES, C.COPIES: C.VOLUMES,
    C.MIRROR_SYNC: C.VOLUMES, C.MIRROR_ASYNC: C.VOLUMES, C.FS_GROW: C.FILESYSTEMS,
    C.FS_SHRINK: C.FILESYSTEMS, C.FS_SNAPSHOTS: C.FILESYSTEMS,
    C.FS_SNAPSHOT_RESTORE: C.FS_SNAPSHOTS, C.FS_CLONES: C.FS_SNAPSHOTS,
    C.NFS_EXPORTS: C.FILESYSTEMS,
    C.NFS_ROOT_SQUASH: C.NFS_EXPORTS, C.NFS_ANON_IDS: C.NFS_EXPORTS,
    C.NFS_SECURITY: C.NFS_EXPORTS, C.POOL_CREATE: C.DISKS, C.CHAP_MUTUAL: C.CHAP,
    C.NFS_ALL_SQUASH: C.NFS_EXPORTS, C.NFS_CLIENT_RULES: C.NFS_EXPORTS,
    C.NFS_ASYNC: C.NFS_EXPORTS, C.NFS_VERSIONS: C.NFS_EXPORTS,
}  # fmt: skip


@pytest.fixture
def populated(request: pytest.FixtureRequest, array: Session, names: Factory) -> Any:
    """The observed state after creating one object of every kind the provider declares."""
    caps = array.capabilities
    if C.VOLUMES in caps:
        volume = request.getfixturevalue("new_volume")()
        if {C.ACCESS_GROUPS, C.MASKING} <= caps.supported:
            array.map_volume(volume, request.getfixturevalue("new_group")())
        if C.SNAPSHOTS in caps:
            array.create_snapshot(volume, names("snap"))
        kinds = [kind for kind in ReplicaKind if REPLICA_CAPABILITY[kind.value] in caps]
        if kinds:
            array.create_replica(volume, names("rep"), kinds[0])
    if C.FILESYSTEMS in caps:
        filesystem = request.getfixturevalue("new_filesystem")()
        if C.FS_SNAPSHOTS in caps:
            fs_snapshot = array.create_fs_snapshot(filesystem, names("fsnap")).result
            if C.FS_CLONES in caps:
                array.create_fs_clone(fs_snapshot, names("fsclone"))
        if C.NFS_EXPORTS in caps:
            array.create_export(filesystem, f"/{names('export')}")
    return array.observe()


def reference_problems(state: Any) -> list[str]:
    """Duplicate ids and references that do not resolve within ``state``, as messages."""
    counts = Counter(obj.id for kind in Kind for obj in state.of(kind))
    problems = [f"id {i!r} is used by {n} objects" for i, n in counts.items() if n > 1]
    ids = {kind: {obj.id for obj in state.of(kind)} for kind in Kind}
    for kind, obj in ((k, o) for k in Kind for o in state.of(k)):
        for field in [f.name for f in dataclasses.fields(obj) if f.name.endswith("_id")]:
            target = REFERRED[re.sub(r"^(source|target)_|_id$", "", field)]
            value = getattr(obj, field)
            if value not in ids[target] and not (kind is Kind.DISKS and value is None):
                problems.append(f"{obj.id}: {field} {value!r} is not one of the {target}")
    system_of = {o.id: o.system_id for k in (Kind.POOLS, Kind.VOLUMES) for o in state.of(k)}
    system_of |= {g.id: g.system_id for g in state.access_groups}
    for volume in state.volumes:
        if system_of.get(volume.pool_id, volume.system_id) != volume.system_id:
            problems.append(f"volume {volume.id} is on another system than its pool")
    for m in state.mappings:
        if system_of.get(m.volume_id) != system_of.get(m.access_group_id):
            problems.append(f"mapping {m.id} joins objects of different systems")
    clones = [f for f in state.filesystems if f.clone_of is not None]
    problems += [f"{f.id}: clone_of {f.clone_of!r} is not one of the fs_snapshots"
                 for f in clones if f.clone_of not in ids[Kind.FS_SNAPSHOTS]]  # fmt: skip
    return problems


# ------------------------------------------------------------------------ the provider itself
def test_provider_implements_the_protocol_and_has_a_version(array: Session) -> None:
    assert isinstance(array.provider, Provider)
    assert isinstance(array.provider.name, str) and array.provider.name
    version = array.version()
    assert version.provider == array.provider.name
    assert isinstance(version.provider_version, str) and version.provider_version


def test_identity_names_the_installation_not_the_uri(
    array: Session, reconnect: Factory, populated: Any
) -> None:
    """``identity()`` is what ownership and locks key on: non-empty text, the same on a second
    connection and after changes, free of the URI's options and user."""
    identity = array.provider.identity()
    assert isinstance(identity, str) and identity.strip() == identity and identity
    assert array.provider.identity() == identity  # after the changes ``populated`` made
    with reconnect() as again:
        assert again.provider.identity() == identity
    for option, value in array.uri.query.items():
        assert f"{option}={value}" not in identity
    if array.uri.user:
        assert f"{array.uri.user}@" not in identity


def test_capabilities_are_consistent(array: Session, caps: Capabilities) -> None:
    assert caps.provider == array.provider.name
    assert isinstance(caps.supported, frozenset)
    assert all(isinstance(c, C) for c in caps.supported)
    assert array.provider.capabilities() == caps
    problems = [
        f"{c} without {needs}" for c, needs in IMPLIES.items() if c in caps and needs not in caps
    ]
    if C.VOLUMES in caps and not {C.VOLUME_THIN, C.VOLUME_THICK} & caps.supported:
        problems.append("volumes without volume.thin or volume.thick")
    if C.ACCESS_GROUPS in caps and not any(
        c.value.startswith("initiator.") for c in caps.supported
    ):
        problems.append("access_groups without any initiator kind")
    assert problems == []


def test_limits_are_usable(limits: Any, names: Factory, unit: int) -> None:
    assert 0 < limits.min_volume_size <= limits.max_volume_size
    assert limits.size_alignment > 0 and limits.max_lun >= 1
    assert limits.name_max_length > 0 and limits.max_initiators_per_group > 0
    re.compile(limits.name_pattern)
    limits.check_name("volume", names("volume"))  # the kit's own names must be acceptable
    assert unit >= limits.min_volume_size and unit % limits.size_alignment == 0
    assert limits.align(unit + 1) == unit + limits.size_alignment


# ---------------------------------------------------------------------------------- observe
def test_observe_returns_model_objects_that_refer_to_each_other(populated: Any) -> None:
    for kind in Kind:
        cls = getattr(storplan.model, MODEL_CLASS[kind.value])
        assert isinstance(populated.of(kind), tuple), kind
        assert all(type(obj) is cls for obj in populated.of(kind)), kind
    assert populated.systems, "an array has at least one system"
    assert reference_problems(populated) == []  # references resolve, ids are unique


def test_observed_values_are_canonical(populated: Any, limits: Any) -> None:
    for group in populated.access_groups:
        assert list(group.initiators) == sorted(group.initiators), group.id
        for initiator in group.initiators:
            assert Initiator.parse(initiator.id, initiator.kind).id == initiator.id
    for volume in populated.volumes:
        assert volume.wwn == canonical_wwn(volume.wwn), volume.id
    assert all(0 <= m.lun <= limits.max_lun for m in populated.mappings)
    for export in populated.exports:
        assert list(export.clients) == sorted(set(export.clients)), export.id
        assert list(export.security) == sorted(set(export.security)), export.id
        assert set(export.security) <= set(storplan.model.NFS_SECURITY_FLAVOURS), export.id


@pytest.mark.parametrize("kind", list(Kind), ids=str)
def test_observe_returns_only_the_requested_kinds(
    array: Session, populated: Any, kind: Kind
) -> None:
    wanted = {k: v for k, v in spec_view(populated).items() if k.startswith(f"{kind.value}:")}
    assert spec_view(array.observe({kind})) == wanted


def test_observe_is_read_only(array: Session, populated: Any) -> None:
    jobs = [(job.id, job.state) for job in array.jobs()]
    first, second = array.observe(), array.observe()
    assert spec_view(first) == spec_view(second) == spec_view(populated)
    assert [(job.id, job.state) for job in array.jobs()] == jobs


# ------------------------------------------------------------------------------------- jobs
def test_jobs_are_listed_newest_first_and_pollable_by_id(
    array: Session, pool: Pool, names: Factory, unit: int, requires: Factory
) -> None:
    thin = default_thin(array.capabilities, pool)
    requires(C.VOLUME_THIN if thin else C.VOLUME_THICK)
    first, second = (array.create_volume(pool, names("vol"), unit, thin=thin) for _ in range(2))
    listed = [job.id for job in array.jobs()]
    assert first.id in listed and second.id in listed
    assert listed.index(second.id) < listed.index(first.id)
    for job in (first, second):
        polled = array.job(job.id)
        assert (polled.id, polled.operation) == (job.id, job.operation)
        assert (polled.state, polled.percent, polled.error) == (JobState.SUCCEEDED, 100, None)
        assert polled.result.id == job.result.id
    for job in array.jobs():
        assert isinstance(job, Job) and isinstance(job.state, JobState) and job.operation
    with pytest.raises(NotFound):
        array.job("cfk-no-such-job")


def test_operation_without_waiting(
    array: Session, pool: Pool, names: Factory, unit: int, requires: Factory
) -> None:
    thin = default_thin(array.capabilities, pool)
    requires(C.VOLUME_THIN if thin else C.VOLUME_THICK)
    job = array.create_volume(pool, names("vol"), unit, thin=thin, wait=False)
    assert isinstance(job, Job) and (job.done or C.ASYNC_JOBS in array.capabilities)
    seen: list[Job[Any]] = []
    finished: Job[Any] = array.wait(job.id, timeout=600, progress=seen.append)
    assert finished.state is JobState.SUCCEEDED and finished.result is not None
    assert find(array, Kind.VOLUMES, finished.result.id) is not None
    assert seen and seen[-1].percent == 100 and seen[-1].done
    assert [j.percent for j in seen] == sorted(j.percent for j in seen)
