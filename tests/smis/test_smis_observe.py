"""Bulk observation: what the provider reports for what the array holds."""

from __future__ import annotations

from typing import Any

import pytest
from mockarray.array import MockArray
from mockarray.repo import U16
from pywbem import CIMError
from smishelpers import URI, connect
from storplan.errors import ProviderError
from storplan.model import Health, InitiatorKind, Kind, Provisioning, ReplicaKind
from storplan.session import Session
from storplan.uri import parse_uri

GiB = 1 << 30
IQN = "iqn.1994-05.com.example:esx01"
WWPN = "21:00:00:24:ff:31:42:53"


def seed(array: MockArray) -> dict[str, Any]:
    """Volumes, a host with two mapped volumes, a snapshot and a copy, made through SMI-S
    methods by one connection; plus a volume the array reserves for itself."""
    seeding = Session(connect(array), parse_uri(URI))
    pool = next(p for p in seeding.pools() if p.oversubscription_limit is not None)
    system = seeding.observe({Kind.SYSTEMS}).systems[0]
    thin = seeding.create_volume(pool, "db-data", 4 * GiB, thin=True).result
    thick = seeding.create_volume(pool, "db-log", 2 * GiB, thin=False).result
    host = seeding.create_access_group(system, "esx01", [IQN, WWPN]).result
    seeding.map_volume(thin, host)
    seeding.map_volume(thick, host)
    snapshot = seeding.create_snapshot(thin, "nightly").result
    replica = seeding.create_replica(thick, "db-log-copy", ReplicaKind.COPY).result
    array.new_volume(array.pools[array.f.pools[0][0]], "array-internal", GiB, True, Usage=U16(3))
    return {
        "pool": pool,
        "thin": thin,
        "thick": thick,
        "host": host,
        "snapshot": snapshot,
        "replica": replica,
        "system": system,
    }


def test_observe_reports_what_the_array_holds(mock_array: MockArray) -> None:
    made = seed(mock_array)
    state = connect(mock_array).observe()  # a fresh connection: nothing cached
    assert [s.id for s in state.systems] == [made["system"].id]
    assert state.systems[0].health is Health.OK
    assert sorted(p.name for p in state.pools) == sorted(n for n, *_ in mock_array.f.pools)
    volumes = {v.name: v for v in state.volumes}
    assert sorted(volumes) == ["db-data", "db-log", "db-log-copy"]  # not internal, not snapshots
    assert volumes["db-data"] == made["thin"] and volumes["db-data"].thin
    assert (volumes["db-log"].size, volumes["db-log"].used) == (2 * GiB, 2 * GiB)
    assert len({v.wwn for v in volumes.values()}) == 3
    pool = next(p for p in state.pools if p.id == made["pool"].id)
    internal = GiB  # the array's own volume is hidden but still takes pool space
    assert pool.subscribed == internal + sum(
        v.size for v in volumes.values() if v.pool_id == pool.id
    )
    assert pool.total - pool.free == sum(v.used for v in volumes.values() if v.pool_id == pool.id)
    [host] = state.access_groups
    assert (host.name, [i.id for i in host.initiators]) == ("esx01", sorted([IQN, WWPN]))
    assert {i.kind for i in host.initiators} == {InitiatorKind.ISCSI, InitiatorKind.FC}
    assert sorted((m.volume_id, m.access_group_id, m.lun) for m in state.mappings) == sorted(
        [(made["thin"].id, host.id, 0), (made["thick"].id, host.id, 1)]
    )
    assert state.snapshots == (made["snapshot"],)
    assert (made["snapshot"].volume_id, made["snapshot"].name) == (made["thin"].id, "nightly")
    assert state.replicas == (made["replica"],)
    assert made["replica"].target_volume_id == volumes["db-log-copy"].id


def test_pools_report_the_provisioning_their_capabilities_list(provider: Any) -> None:
    """Element types 5 (thin) and 2/7 (generic, thick) decide what a pool holds, so preflight
    can refuse a thin volume in a thick-only pool before anything changes."""
    thin, thick = Provisioning.THIN, Provisioning.THICK
    expected = {"gold": {thin, thick}, "silver": {thick}, "pool0": {thin, thick}, "legacy": {thick}}
    found = {p.name: set(p.provisioning) for p in provider.observe().pools}
    assert found == {name: expected[name] for name in found} and len(found) == 2


def test_observe_reports_hardware(provider: Any) -> None:
    state = provider.observe(frozenset({Kind.DISKS, Kind.TARGET_PORTS}))
    assert len(state.disks) == 12
    assert [d.name for d in state.disks if d.pool_id is None] == ["disk10", "disk11"]
    [degraded] = [d for d in state.disks if d.health is not Health.OK]
    assert (degraded.name, degraded.health) == ("disk09", Health.DEGRADED)
    assert degraded.conditions[0].message == "predictive failure"
    fc = sorted(p.address for p in state.target_ports if p.kind is InitiatorKind.FC)
    assert fc == ["50:0a:09:81:00:00:00:01", "50:0a:09:81:00:00:00:02"]  # back-end port hidden
    portals = sorted(p.portal for p in state.target_ports if p.kind is InitiatorKind.ISCSI)
    assert portals == ["192.0.2.10:3260", "192.0.2.11:3260"]
    assert state.volumes == () and state.pools == ()  # only what was asked for


def _operations(array: MockArray) -> dict[str, int]:
    stats = array.conn.statistics.snapshot()
    return {name: stat.count for name, stat in stats}


def test_observe_only_reads_with_pull_or_fallback(mock_array: MockArray) -> None:
    seed(mock_array)
    provider = connect(mock_array)
    calls: list[tuple[str, Any]] = []
    conn = mock_array.conn
    for name in ("OpenEnumerateInstances", "EnumerateInstances"):
        original = getattr(conn, name)

        def recorder(*args: Any, _name: str = name, _call: Any = original, **kwargs: Any) -> Any:
            calls.append((args[0], kwargs.get("PropertyList")))
            return _call(*args, **kwargs)

        setattr(conn, name, recorder)
    conn.statistics.reset()
    provider.observe()
    operations = _operations(mock_array)
    allowed = {"OpenEnumerateInstances", "PullInstancesWithPath", "OpenAssociatorInstances"}
    if not mock_array.f.pull:
        allowed = {"EnumerateInstances", "Associators"}
    assert set(operations) <= allowed, operations
    assert calls and all(props is not None for _, props in calls), "every read names properties"
    volume_read = next(props for cls, props in calls if cls == "CIM_StorageVolume")
    assert "ElementName" in volume_read and "Caption" not in volume_read


def test_a_failing_disk_listing_becomes_a_condition(mock_array: MockArray) -> None:
    provider = connect(mock_array)
    conn = mock_array.conn
    name = "OpenEnumerateInstances" if mock_array.f.pull else "EnumerateInstances"
    original = getattr(conn, name)

    def broken(classname: str, *args: Any, **kwargs: Any) -> Any:
        if classname == "CIM_DiskDrive":
            raise CIMError(1, "disk enclosure 3 does not answer")
        return original(classname, *args, **kwargs)

    setattr(conn, name, broken)
    state = provider.observe()
    assert state.disks == () and state.pools  # the rest is still reported
    [condition] = state.systems[0].conditions
    assert condition.code == "observe_disks" and "enclosure 3" in condition.message
    with pytest.raises(ProviderError, match="enclosure 3"):  # asked for alone: nowhere to hide
        provider.observe(frozenset({Kind.DISKS}))


def test_a_failing_volume_listing_fails_the_observation(mock_array: MockArray) -> None:
    provider = connect(mock_array)
    conn = mock_array.conn
    name = "OpenEnumerateInstances" if mock_array.f.pull else "EnumerateInstances"
    original = getattr(conn, name)

    def broken(classname: str, *args: Any, **kwargs: Any) -> Any:
        if classname == "CIM_StorageVolume":
            raise CIMError(1, "volume table locked")
        return original(classname, *args, **kwargs)

    setattr(conn, name, broken)
    with pytest.raises(ProviderError, match="volume table locked"):
        provider.observe(frozenset({Kind.VOLUMES}))
