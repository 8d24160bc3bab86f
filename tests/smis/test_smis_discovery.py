"""Discovery: interop namespace, registered profiles, root systems, services, capabilities."""

from __future__ import annotations

import pytest
from mockarray import ACME, BOLT, build_array
from mockarray.array import MockArray
from smishelpers import connect
from storplan.errors import ConnectionFailed
from storplan.model import Capability as C
from storplan.model import Kind
from storplan.providers.smis import SmisProvider

ACME_CAPABILITIES = {
    C.VOLUMES,
    C.VOLUME_THIN,
    C.VOLUME_THICK,
    C.VOLUME_GROW,
    C.VOLUME_SHRINK,
    C.VOLUME_RENAME,
    C.ACCESS_GROUPS,
    C.MASKING,
    C.MASKING_LUN_CHOICE,
    C.INITIATOR_ISCSI,
    C.INITIATOR_FC,
    C.SNAPSHOTS,
    C.SNAPSHOT_RESTORE,
    C.COPIES,
    C.MIRROR_SYNC,
    C.MIRROR_ASYNC,
    C.DISKS,
    C.TARGET_PORTS,
    C.ASYNC_JOBS,
    C.STATISTICS,  # Block Server Performance
    C.EVENTS,  # Indication
}
BOLT_CAPABILITIES = {
    C.VOLUMES,
    C.VOLUME_THIN,
    C.VOLUME_THICK,
    C.VOLUME_GROW,
    C.ACCESS_GROUPS,
    C.MASKING,
    C.INITIATOR_ISCSI,
    C.INITIATOR_FC,
    C.SNAPSHOTS,
    C.COPIES,
    C.DISKS,
    C.TARGET_PORTS,
}


def test_group_masking_flavour_is_discovered_through_interop() -> None:
    provider = connect(build_array(ACME))
    info = provider.info
    assert (info.interop, info.namespace, info.masking) == ("interop", "root/acme", "group")
    assert info.profiles["Array"] == (1, 6, 0)  # the highest registered version wins
    assert set(info.systems) == {"sys:ACME-ARRAY-1"}
    assert provider.capabilities().supported == ACME_CAPABILITIES
    assert provider.capabilities().provider == "smis"


def test_masking_and_mapping_flavour_is_discovered_in_root_interop() -> None:
    provider = connect(build_array(BOLT))
    info = provider.info
    assert (info.interop, info.namespace, info.masking) == ("root/interop", "root/bolt", "spc")
    assert "FC Target Ports" in info.profiles  # registered as "FC Target Port" (quirk)
    assert provider.capabilities().supported == BOLT_CAPABILITIES
    assert provider.client.pull is False  # the server refused pull operations


def test_limits_come_from_get_supported_size_range(provider: SmisProvider, flavour) -> None:  # type: ignore[no-untyped-def]
    limits = provider.limits()
    assert (limits.min_volume_size, limits.size_alignment) == (1 << 20, 1 << 20)
    assert limits.max_volume_size == flavour.max_volume_size


def test_version_reports_the_array_firmware(provider: SmisProvider, flavour) -> None:  # type: ignore[no-untyped-def]
    version = provider.version()
    assert (version.provider, version.array) == ("smis", f"{flavour.vendor} {flavour.model}")
    assert version.array_version == flavour.firmware and version.provider_version


def _drop_registrations(array: MockArray) -> None:
    store = array.conn.cimrepository.get_instance_store(array.f.interop)
    for path in list(store.iter_names()):
        store.delete(path)


def test_namespace_option_works_without_profile_registration(mock_array: MockArray) -> None:
    _drop_registrations(mock_array)
    with pytest.raises(ConnectionFailed, match="namespace="):
        connect(mock_array)
    provider = connect(mock_array, f"smis+https://admin@array/?namespace={mock_array.f.namespace}")
    assert provider.info.namespace == mock_array.f.namespace
    assert [s.name for s in provider.observe(frozenset({Kind.SYSTEMS})).systems] == [
        mock_array.f.system_name.lower()
    ]
    # no profiles registered: nothing that needs one is claimed
    assert C.DISKS not in provider.capabilities() and C.MASKING not in provider.capabilities()


def test_namespace_option_overrides_discovery(mock_array: MockArray) -> None:
    uri = f"smis+https://admin@array/?namespace={mock_array.f.namespace}&interop={mock_array.f.interop}"
    provider = connect(mock_array, uri)
    assert provider.info.interop == mock_array.f.interop
    assert provider.capabilities().supported == (
        ACME_CAPABILITIES if mock_array.f is ACME else BOLT_CAPABILITIES
    )


def test_wrong_interop_namespace_is_a_clear_error(mock_array: MockArray) -> None:
    with pytest.raises(ConnectionFailed, match="no SMI-S Array profile"):
        connect(mock_array, "smis+https://admin@array/?interop=root/nowhere")
