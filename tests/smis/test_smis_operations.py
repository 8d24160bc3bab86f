"""Operations whose behaviour depends on the vendor flavour, checked on the array itself."""

from __future__ import annotations

from typing import Any

import pytest
from mockarray import ACME, BOLT, build_array
from smishelpers import URI, connect, thin_pool
from storplan.errors import AlreadyExists, Busy, CapacityExceeded, InvalidArgument, Unsupported
from storplan.model import Kind
from storplan.session import Session
from storplan.uri import parse_uri

MiB, TiB = 1 << 20, 1 << 40
IQN = "iqn.1994-05.com.example:app01"
WWPN = "10:00:00:00:c9:a1:b2:c3"


def open_session(array: Any) -> Session:
    return Session(connect(array), parse_uri(URI))


def _setup(session: Session) -> tuple[Any, Any]:
    system = session.observe({Kind.SYSTEMS}).systems[0]
    return thin_pool(session.pools()), system


def test_initiators_are_stored_the_way_arrays_expect(mock_array: Any) -> None:
    session = open_session(mock_array)
    _, system = _setup(session)
    session.create_access_group(system, "app01", [IQN.upper(), "0x" + WWPN.replace(":", "")])
    stored = {
        str(h["StorageID"]): int(h["IDType"]) for h in mock_array.repo.each("CIM_StorageHardwareID")
    }
    assert stored == {IQN: 5, WWPN.replace(":", "").upper(): 2}


def test_group_masking_builds_and_removes_views() -> None:
    array = build_array(ACME)
    session = open_session(array)
    pool, system = _setup(session)
    host = session.create_access_group(system, "app01", [IQN]).result
    first, second = (session.create_volume(pool, f"v{i}", "4MiB").result for i in range(2))
    assert session.map_volume(first, host, 10).result.lun == 10
    session.map_volume(second, host)
    [view] = list(array.repo.each("CIM_SCSIProtocolController"))
    luns = sorted(
        str(u["DeviceNumber"])
        for u in array.repo.links("CIM_ProtocolControllerForUnit", Antecedent=view.path)
    )
    assert luns == ["0000", "000A"]  # DeviceNumber is hexadecimal
    [devices] = list(array.repo.each("CIM_DeviceMaskingGroup"))
    assert devices["ElementName"] == "app01-devices"
    session.unmap_volume(first, host)
    assert len(list(array.repo.each("CIM_SCSIProtocolController"))) == 1
    # the last volume: this array does not allow an empty device group in a view
    session.unmap_volume(second, host)
    assert list(array.repo.each("CIM_SCSIProtocolController")) == []
    assert list(array.repo.each("CIM_DeviceMaskingGroup")) == []
    assert session.map_volume(second, host).result.lun == 0  # a new view is made
    assert array.method_calls.count("CreateMaskingView") == 2


def test_plain_masking_uses_expose_and_hide_paths() -> None:
    array = build_array(BOLT)
    session = open_session(array)
    pool, system = _setup(session)
    # a host is an SPC, which ExposePaths makes only with an initiator: the provider's limits
    # say so (min_initiators_per_group 1), so the Session refuses before the provider is called
    assert session.limits.min_initiators_per_group == 1
    with pytest.raises(InvalidArgument, match=r"0 initiator\(s\); this provider needs 1\.\."):
        session.create_access_group(system, "empty", [])
    with pytest.raises(InvalidArgument, match="together with an initiator"):
        session.provider.create_access_group(system.id, "empty", [])  # the provider's own rule
    host = session.create_access_group(system, "app01", [IQN, WWPN]).result
    [spc] = list(array.repo.each("CIM_SCSIProtocolController"))
    assert spc["ElementName"] == "app01" and host.id.endswith(spc.path["DeviceID"])
    volume = session.create_volume(pool, "v0", "4MiB").result
    with pytest.raises(Unsupported, match=r"masking\.lun_choice"):
        session.map_volume(volume, host, 3)  # the array does not let clients choose LUNs
    assert session.map_volume(volume, host).result.lun == 0
    session.remove_initiator(host, WWPN)
    with pytest.raises(Busy, match="last initiator"):
        session.remove_initiator(host, IQN)
    session.unmap_volume(volume, host)
    session.delete_access_group(host)
    assert list(array.repo.each("CIM_SCSIProtocolController")) == []
    assert {"ExposePaths", "HidePaths"} <= set(array.method_calls)


def test_thin_volume_in_a_thick_only_pool_is_refused(mock_array: Any) -> None:
    session = open_session(mock_array)
    thick_only = next(p for p in session.pools() if p.oversubscription_limit is None)
    with pytest.raises(InvalidArgument, match="cannot hold thin volumes"):
        session.create_volume(thick_only, "thin-here", "4MiB", thin=True)


def test_growing_a_thick_volume_beyond_the_pool_is_refused(mock_array: Any) -> None:
    session = open_session(mock_array)
    thick_only = next(p for p in session.pools() if p.oversubscription_limit is None)
    volume = session.create_volume(thick_only, "big", "4MiB", thin=False).result
    with pytest.raises(CapacityExceeded, match="free"):
        session.resize_volume(volume, thick_only.free + volume.size + MiB)
    assert session.get(Kind.VOLUMES, volume.id).size == 4 * MiB


def test_volume_names_stay_unique_even_where_the_array_allows_duplicates() -> None:
    array = build_array(ACME)  # ACME accepts duplicate ElementNames, like some real arrays
    session = open_session(array)
    pool, _ = _setup(session)
    one, two = (session.create_volume(pool, name, "4MiB").result for name in ("one", "two"))
    with pytest.raises(AlreadyExists):
        session.rename_volume(two, "one")
    assert session.rename_volume(two, "three").result.name == "three"
    assert sorted(v.name for v in session.volumes()) == ["one", "three"]
    assert one.id != two.id


def test_operations_the_array_lacks_are_refused_naming_the_provider(provider: Any) -> None:
    for call in (
        lambda: provider.create_pool("sys:x", "p", ["disk:x:1"]),
        lambda: provider.set_chap("host:x", IQN, "user", None),
        lambda: provider.create_filesystem("pool:x", "fs", MiB),
        lambda: provider.create_replica("vol:x:1", "c", "clone", None),
    ):
        with pytest.raises(Unsupported, match="smis"):
            call()


def test_concurrent_mappings_to_a_new_host(mock_array: Any) -> None:
    """storplan applies actions in parallel: six volumes mapped at once to a host without a
    view yet get one view (group masking) or one SPC, and six distinct LUNs."""
    from concurrent.futures import ThreadPoolExecutor

    session = open_session(mock_array)
    pool, system = _setup(session)
    host = session.create_access_group(system, "busy", [IQN]).result
    volumes = [session.create_volume(pool, f"par{i}", "4MiB").result for i in range(6)]
    with ThreadPoolExecutor(max_workers=6) as workers:
        mapped = list(workers.map(lambda v: session.map_volume(v, host).result, volumes))
    assert sorted(m.lun for m in mapped) == list(range(6))
    assert len(list(mock_array.repo.each("CIM_SCSIProtocolController"))) == 1
    assert sorted(session.observe({Kind.MAPPINGS}).mappings, key=lambda m: m.lun) == sorted(
        mapped, key=lambda m: m.lun
    )
