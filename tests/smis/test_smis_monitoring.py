"""SMI-S health and statistics: OperationalStatus and HealthState of systems, pools, disks,
ports, fans and batteries mapped to catalogue conditions; CIM_BlockStorageStatisticalData as
counters (Block Server Performance).

Real: the smis provider over pywbem_mock with the hand-written MOF, in both vendor flavours
(bolt has no performance profile); the statuses are changed in the mock's repository as an
array's hardware would change them; findings come from the same probe ``storplan health``
uses.
"""

from __future__ import annotations

from typing import Any

import pytest
from mockarray.array import MockArray
from mockarray.hardware import do_io, set_status
from pywbem import Uint16
from smishelpers import URI, connect
from storplan.errors import Unsupported
from storplan.model import Capability, LinkState, ReplicaKind
from storplan.monitoring.probe import Probe
from storplan.session import Session
from storplan.uri import parse_uri

GiB = 1 << 30


def _session(array: MockArray) -> Session:
    return Session(connect(array), parse_uri(URI))


def _findings(array: MockArray) -> dict[tuple[str, str, str], str]:
    """(code, kind, name or component) -> severity, from one fresh observation."""
    probe = Probe("east", lambda: _session(array))
    observation = probe.sample()
    probe.close()
    assert observation.up, observation.error
    return {(f.code, f.kind, f.component or f.name): f.severity.value for f in observation.findings}


def test_a_healthy_array_has_only_the_predicting_disk(mock_array: MockArray) -> None:
    assert _findings(mock_array) == {("disk.predictive_failure", "disks", "disk09"): "warning"}


@pytest.mark.parametrize(
    ("base", "name", "status", "code", "kind", "severity"),
    [
        ("CIM_DiskDrive", "disk03", 6, "disk.failed", "disks", "critical"),
        ("CIM_Fan", "fan-b", 6, "fan.failed", "systems", "warning"),
        ("CIM_Battery", "battery-a", 7, "battery.failed", "systems", "critical"),
        ("CIM_FCPort", "fc1", 10, "port.down", "target_ports", "critical"),
    ],
)
def test_a_failed_element_is_its_catalogue_condition(
    mock_array: MockArray, base: str, name: str, status: int, code: str, kind: str, severity: str
) -> None:
    set_status(mock_array, base, name, status)
    found = _findings(mock_array)
    keys = [k for k in found if k[0] == code and k[1] == kind]
    assert len(keys) == 1 and found[keys[0]] == severity
    assert kind == "target_ports" or keys[0][2] == name


def test_a_failed_port_is_down(mock_array: MockArray) -> None:
    set_status(mock_array, "CIM_FCPort", "fc1", 6)
    ports = _session(mock_array).observe().target_ports
    assert sorted(p.link.value for p in ports if p.kind.value == "fc") == ["down", "up"]
    down = next(p for p in ports if p.link is LinkState.DOWN)
    assert [c.code for c in down.conditions] == ["port.down"]


def test_health_state_alone_degrades_a_pool(mock_array: MockArray) -> None:
    pool = mock_array.repo.get(mock_array.pools[mock_array.f.pools[0][0]])
    pool["HealthState"] = Uint16(25)  # critical failure; OperationalStatus still says OK
    mock_array.repo.put(pool)
    found = _findings(mock_array)
    assert found[("raid.degraded", "pools", mock_array.f.pools[0][0])] == "critical"


def test_a_broken_copy_is_replication_broken(mock_array: MockArray) -> None:
    session = _session(mock_array)
    if Capability.COPIES not in session.capabilities:
        pytest.skip(f"{mock_array.f.name} makes no copies")
    pool = next(p for p in session.pools() if p.name == mock_array.f.pools[0][0])
    volume = session.create_volume(pool, "db", GiB, thin=False).result
    assert volume is not None
    replica = session.create_replica(volume, "db-copy", ReplicaKind.COPY).result
    assert replica is not None
    for sync in mock_array.repo.each("CIM_StorageSynchronized"):
        sync = mock_array.repo.get(sync.path)
        sync["CopyState"] = Uint16(5)  # broken
        mock_array.repo.put(sync)
    found = _findings(mock_array)
    assert found[("replication.broken", "replicas", replica.id)] == "critical"


def _counters(session: Session) -> dict[tuple[str, str], Any]:
    return {(c.kind, c.object_id): c for c in session.statistics().counters}


def test_statistics_move_with_io(mock_array: MockArray) -> None:
    session = _session(mock_array)
    if Capability.STATISTICS not in session.capabilities:
        with pytest.raises(Unsupported, match="statistics"):
            session.statistics()
        return
    pool = next(p for p in session.pools() if p.name == mock_array.f.pools[0][0])
    volume = session.create_volume(pool, "busy", GiB, thin=True).result
    assert volume is not None
    before = _counters(session)
    kinds = {kind for kind, _ in before}
    assert kinds == {"volume", "target_port", "disk"}
    assert before[("volume", volume.id)].read_ops == 0
    path = mock_array.find_volume(name="busy").path
    do_io(mock_array, path, reads=400, writes=100)
    after = _counters(session)[("volume", volume.id)]
    assert (after.read_ops, after.write_ops) == (400, 100)
    assert (after.read_bytes, after.write_bytes) == (400 * 8192, 100 * 8192)
    assert (after.cache_read_hits, after.busy_seconds) == (300, 0.25)
    ports = {p.id for p in session.observe().target_ports}
    assert {oid for kind, oid in before if kind == "target_port"} <= ports
