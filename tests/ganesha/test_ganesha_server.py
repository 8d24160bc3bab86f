"""Smoke test of the test server itself: Ganesha answers on D-Bus and over NFSv4."""

from __future__ import annotations

from .server import GaneshaServer


def test_server_answers_on_dbus_and_nfs(ganesha: GaneshaServer) -> None:
    from storplan.providers.ganesha.dbus import GaneshaBus

    bus = GaneshaBus(ganesha.bus)
    try:
        assert bus.version().startswith(("3.", "4.", "5.", "6."))
        assert 0 in {export_id for export_id, _ in bus.show_exports()}  # the pseudo root
    finally:
        bus.close()
    listing = ganesha.nfs("nfs-ls", ganesha.nfs_url("/"))
    assert listing.returncode == 0, listing.stderr


def test_no_ganesha_on_the_bus_is_a_clear_connection_error(ganesha: GaneshaServer) -> None:
    import pytest
    from storplan.errors import ConnectionFailed
    from storplan.providers.ganesha.dbus import GaneshaBus

    bus = GaneshaBus(ganesha.bus, service="test.nobody.org.ganesha.nfsd")
    try:
        with pytest.raises(ConnectionFailed, match=r"no test\.nobody\.org\.ganesha\.nfsd on D-Bus"):
            bus.show_exports()
    finally:
        bus.close()
