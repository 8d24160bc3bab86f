# mypy: disable-error-code="union-attr, arg-type"
"""Provider conformance suite, part 2: volumes, their snapshots and replicas, and pools
(``pytest -p storplan.conformance --pyargs storplan.conformance --storplan-uri URI``).

Outcomes are checked by observing the array afterwards.  What is real: the provider under test;
without ``--storplan-uri``, a real simulator SQLite file per test.  Nothing is mocked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from storplan.catalogue import REPLICA_CAPABILITY
from storplan.conformance.plugin import find, spec_view
from storplan.errors import AlreadyExists, Busy, CapacityExceeded, NotFound
from storplan.model import (
    Capabilities,
    JobState,
    Kind,
    Pool,
    Provisioning,
    ReplicaKind,
    Volume,
    spec_of,
)
from storplan.model import Capability as C
from storplan.session import Session

Factory = Callable[..., Any]


# ---------------------------------------------------------------------------------- volumes
@pytest.mark.parametrize("thin", [True, False], ids=["thin", "thick"])
def test_create_volume(
    array: Session, pool_for: Factory, names: Factory, limits: Any, unit: int, thin: bool,
) -> None:  # fmt: skip
    pool = pool_for(thin)
    requested, name = 3 * unit + limits.size_alignment // 2, names("vol")
    job = array.create_volume(pool, name, requested, thin=thin)
    assert job.state is JobState.SUCCEEDED and isinstance(job.result, Volume)
    state = array.observe({Kind.VOLUMES})
    [volume] = state.find(Kind.VOLUMES, name)
    assert volume.id == job.result.id and spec_of(volume) == spec_of(job.result)
    assert (volume.pool_id, volume.system_id, volume.thin) == (pool.id, pool.system_id, thin)
    assert volume.size >= requested and volume.size % limits.size_alignment == 0
    assert volume.size == limits.align(requested)
    assert volume.wwn and volume.wwn == job.result.wwn
    assert [v.wwn for v in state.volumes].count(volume.wwn) == 1


def test_create_volume_is_idempotent_by_name(
    array: Session, pool: Pool, new_volume: Factory, unit: int, caps: Capabilities
) -> None:
    volume = new_volume(4 * unit)
    again = array.create_volume(pool, volume.name, 4 * unit, thin=volume.thin).result
    assert spec_of(again) == spec_of(volume)  # status (used space) may move on a real array
    before = spec_view(array.observe())
    with pytest.raises(AlreadyExists):
        array.create_volume(pool, volume.name, 8 * unit, thin=volume.thin)
    flipped = C.VOLUME_THICK if volume.thin else C.VOLUME_THIN
    holds = Provisioning.THICK if volume.thin else Provisioning.THIN
    if (
        flipped in caps
        and holds in pool.provisioning
        and (volume.thin or pool.oversubscription_limit is not None)
    ):
        with pytest.raises(AlreadyExists):
            array.create_volume(pool, volume.name, 4 * unit, thin=not volume.thin)
    assert spec_view(array.observe()) == before


@pytest.mark.parametrize(("capability", "units"), [(C.VOLUME_GROW, 8), (C.VOLUME_SHRINK, 2)])
def test_resize_volume(
    array: Session, new_volume: Factory, requires: Factory, unit: int, capability: C, units: int
) -> None:
    requires(capability)
    volume = new_volume(4 * unit)
    job = array.resize_volume(volume, units * unit)
    observed = find(array, Kind.VOLUMES, volume.id)
    assert observed.size == units * unit and spec_of(job.result) == spec_of(observed)
    assert (observed.name, observed.wwn, observed.thin) == (volume.name, volume.wwn, volume.thin)


def test_rename_volume(
    array: Session, new_volume: Factory, names: Factory, requires: Factory
) -> None:
    requires(C.VOLUME_RENAME)
    volume, other, new_name = new_volume(), new_volume(), names("renamed")
    assert array.rename_volume(volume, new_name).result.name == new_name
    state = array.observe({Kind.VOLUMES})
    assert state.find(Kind.VOLUMES, volume.name) == []
    [renamed] = state.find(Kind.VOLUMES, new_name)
    assert (renamed.id, renamed.wwn, renamed.size) == (volume.id, volume.wwn, volume.size)
    with pytest.raises(AlreadyExists):
        array.rename_volume(volume, other.name)
    assert find(array, Kind.VOLUMES, volume.id).name == new_name


def test_delete_volume(array: Session, new_volume: Factory) -> None:
    volume = new_volume()
    job = array.delete_volume(volume)
    assert job.state is JobState.SUCCEEDED and job.result is None
    assert find(array, Kind.VOLUMES, volume.id) is None
    with pytest.raises(NotFound):
        array.delete_volume(volume)


@pytest.mark.parametrize("thin", [True, False], ids=["thin", "thick"])
def test_pool_capacity_accounting(
    array: Session, pool_for: Factory, new_volume: Factory, unit: int, thin: bool
) -> None:
    pool = pool_for(thin)
    if thin and pool.oversubscription_limit is None:
        pytest.skip(f"pool {pool.name} cannot hold thin volumes")
    before = find(array, Kind.POOLS, pool.id)
    volume = find(array, Kind.VOLUMES, new_volume(8 * unit, thin=thin, pool=pool).id)
    during = find(array, Kind.POOLS, pool.id)
    assert during.subscribed - before.subscribed == volume.size
    assert before.free - during.free == (volume.used if thin else volume.size)
    array.delete_volume(volume)
    after = find(array, Kind.POOLS, pool.id)
    assert (after.free, after.subscribed) == (before.free, before.subscribed)


@pytest.mark.parametrize("thin", [True, False], ids=["thin-oversubscribed", "thick-too-big"])
def test_volume_beyond_pool_capacity_is_refused(
    array: Session, pool_for: Factory, names: Factory, limits: Any, thin: bool
) -> None:
    pool = pool_for(thin)
    current = find(array, Kind.POOLS, pool.id)
    if thin and current.oversubscription_limit is None:
        pytest.skip(f"pool {pool.name} cannot hold thin volumes")
    limit = current.oversubscription_limit
    room = int(current.total * limit) - current.subscribed if thin else current.free
    size = limits.align(room + 1)
    if size > limits.max_volume_size:
        pytest.skip(f"pool {pool.name} has room for a volume of the largest size")
    before = spec_view(array.observe())
    with pytest.raises(CapacityExceeded):
        array.create_volume(pool, names("huge"), size, thin=thin)
    assert spec_view(array.observe()) == before


# -------------------------------------------------------------------- snapshots and replicas
def test_snapshot_lifecycle(
    array: Session, new_volume: Factory, names: Factory, requires: Factory
) -> None:
    requires(C.SNAPSHOTS)
    volume, name = new_volume(), names("snap")
    job = array.create_snapshot(volume, name)
    snapshot = find(array, Kind.SNAPSHOTS, job.result.id)
    assert (snapshot.volume_id, snapshot.name) == (volume.id, name)
    assert spec_of(snapshot) == spec_of(job.result)
    assert array.create_snapshot(volume, name).result.id == snapshot.id
    with pytest.raises(Busy):
        array.delete_volume(volume)
    assert array.delete_snapshot(snapshot).result is None
    assert find(array, Kind.SNAPSHOTS, snapshot.id) is None
    with pytest.raises(NotFound):
        array.delete_snapshot(snapshot)


def test_restore_snapshot(
    array: Session, new_volume: Factory, names: Factory, requires: Factory
) -> None:
    requires(C.SNAPSHOTS, C.SNAPSHOT_RESTORE)
    volume = new_volume()
    snapshot = array.create_snapshot(volume, names("snap")).result
    job = array.restore_snapshot(snapshot)
    assert job.result.id == volume.id
    observed = find(array, Kind.VOLUMES, volume.id)
    assert spec_of(observed) == spec_of(volume) and observed.wwn == volume.wwn
    assert find(array, Kind.SNAPSHOTS, snapshot.id) is not None  # restoring keeps the snapshot


@pytest.mark.parametrize("kind", list(ReplicaKind), ids=str)
def test_replica(
    array: Session, new_volume: Factory, names: Factory, requires: Factory, kind: ReplicaKind
) -> None:
    requires(REPLICA_CAPABILITY[kind.value])
    source, name = new_volume(), names("rep")
    replica = find(array, Kind.REPLICAS, array.create_replica(source, name, kind).result.id)
    assert (replica.source_volume_id, replica.kind) == (source.id, kind)
    assert 0 <= replica.percent_synced <= 100
    [target] = array.observe({Kind.VOLUMES}).find(Kind.VOLUMES, name)
    assert replica.target_volume_id == target.id and target.wwn != source.wwn
    assert target.size >= source.size
    assert array.create_replica(source, name, kind).result.id == replica.id
    with pytest.raises(Busy):
        array.delete_volume(source)
    assert array.delete_replica(replica).result is None
    assert find(array, Kind.REPLICAS, replica.id) is None
    assert find(array, Kind.VOLUMES, target.id) is not None  # the target volume stays
    with pytest.raises(NotFound):
        array.delete_replica(replica)


# ------------------------------------------------------------------------------------ pools
def test_create_and_delete_pool(array: Session, names: Factory, requires: Factory) -> None:
    requires(C.POOL_CREATE, C.DISKS)
    free = [d for d in array.observe({Kind.DISKS}).disks if d.pool_id is None]
    free = [d for d in free if d.health == "ok"]
    if not free:
        pytest.skip(f"provider {array.provider.name} reports no free healthy disk")
    disk, name = free[0], names("pool")
    pool = find(array, Kind.POOLS, array.create_pool(disk.system_id, name, [disk]).result.id)
    assert (pool.name, pool.system_id, pool.subscribed) == (name, disk.system_id, 0)
    assert 0 < pool.free <= pool.total <= disk.size
    assert find(array, Kind.DISKS, disk.id).pool_id == pool.id
    assert array.create_pool(disk.system_id, name, [disk]).result.id == pool.id
    others = [d for d in free[1:] if d.system_id == disk.system_id]
    if others:
        with pytest.raises(AlreadyExists):
            array.create_pool(disk.system_id, name, [disk, others[0]])
    assert array.delete_pool(pool).result is None
    assert find(array, Kind.POOLS, pool.id) is None
    assert find(array, Kind.DISKS, disk.id).pool_id is None
    with pytest.raises(NotFound):
        array.delete_pool(pool)
