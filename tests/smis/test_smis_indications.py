"""SMI-S indications: ``subscribe`` (the ``events`` capability) and ``storplan watch``'s use of
them.

Real: pywbem's ``WBEMListener`` on a loopback port (HTTP, and HTTPS with an openssl-made
certificate); pywbem's ``WBEMSubscriptionManager`` creating destinations, filters and
subscriptions in the mock array's interop namespace through pywbem_mock's own subscription
providers; indications delivered as an array delivers them, a CIM-XML ExportIndication HTTP
POST (pywbem_mock sends none itself); the watch loop of ``storplan watch`` with the smis
provider over the mock array.  The watch polls every hour, so only the indication can
explain an event within the (generous) bound.
"""

from __future__ import annotations

import json
import queue
import socket
import ssl
import threading
from pathlib import Path
from typing import Any

import pytest
from mockarray import FLAVOURS, build_array
from mockarray.array import MockArray
from mockarray.hardware import set_status
from mockarray.indications import export_indication, subscriptions
from pywbem import CIMInstance, Uint16
from smishelpers import connect
from storplan.errors import InvalidArgument, Unsupported
from storplan.model import Capability
from storplan.monitoring.probe import Probe
from storplan.monitoring.watching import Watch
from storplan.session import Session
from storplan.uri import parse_uri
from tlsserver import Pki

BOUND = 60.0  # seconds; generous: a prompt delivery takes milliseconds


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _uri(port: int, **extra: str) -> str:
    query = "&".join([f"listener=127.0.0.1:{port}", *(f"{k}={v}" for k, v in extra.items())])
    return f"smis+https://admin@array.example.com:5989/?{query}"


def _alert() -> CIMInstance:
    return CIMInstance(
        "CIM_AlertIndication",
        {"Description": "disk failed", "PerceivedSeverity": Uint16(6), "AlertType": Uint16(5)},
    )


@pytest.fixture
def acme() -> MockArray:
    return build_array(FLAVOURS["acme"])


def test_subscribe_creates_the_subscriptions_and_close_removes_them(acme: MockArray) -> None:
    port = _free_port()
    uri = _uri(port)
    session = Session(connect(acme, uri), parse_uri(uri))
    assert Capability.EVENTS in session.capabilities
    received = threading.Event()
    subscription = session.subscribe(received.set)
    try:
        held = subscriptions(acme.conn, acme.f.interop)
        assert [d["Destination"] for d in held["ListenerDestinationCIMXML"]] == [
            f"http://127.0.0.1:{port}"
        ]
        queries = {f["Query"] for f in held["IndicationFilter"]}
        assert "SELECT * FROM CIM_AlertIndication" in queries
        assert (
            "SELECT * FROM CIM_InstModification WHERE SourceInstance ISA CIM_DiskDrive" in queries
        )
        assert {str(f["SourceNamespaces"]) for f in held["IndicationFilter"]} == {
            str([acme.f.namespace])
        }
        assert len(held["IndicationSubscription"]) == len(queries)
        assert export_indication(f"http://127.0.0.1:{port}", _alert()) == 200
        assert received.wait(BOUND)
    finally:
        subscription.close()
    assert all(not found for found in subscriptions(acme.conn, acme.f.interop).values())
    with socket.socket() as again:  # the listener let go of its port (Linux refuses
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a listening one)
        again.bind(("127.0.0.1", port))
    session.close()


def test_a_dead_watchers_subscriptions_are_replaced_not_doubled(acme: MockArray) -> None:
    uri = _uri(_free_port())
    provider = connect(acme, uri)
    first = provider.subscribe(lambda: None)
    first._listener.stop()  # the process died: its listener is gone, its subscriptions stay
    second = provider.subscribe(lambda: None)
    try:
        assert len(subscriptions(acme.conn, acme.f.interop)["ListenerDestinationCIMXML"]) == 1
    finally:
        second.close()
    assert all(not found for found in subscriptions(acme.conn, acme.f.interop).values())


# pywbem's listener builds its TLS context with ssl.PROTOCOL_TLS (deprecated since Python 3.10)
@pytest.mark.filterwarnings("ignore:ssl.PROTOCOL_TLS is deprecated:DeprecationWarning")
def test_indications_over_https(acme: MockArray, pki: Pki) -> None:
    port = _free_port()
    uri = _uri(port, listener_cert=str(pki.server_cert), listener_key=str(pki.server_key))
    provider = connect(acme, uri)
    received = threading.Event()
    subscription = provider.subscribe(received.set)
    try:
        held = subscriptions(acme.conn, acme.f.interop)["ListenerDestinationCIMXML"]
        assert [d["Destination"] for d in held] == [f"https://127.0.0.1:{port}"]
        verified = ssl.create_default_context(cafile=str(pki.ca))
        assert export_indication(f"https://127.0.0.1:{port}", _alert(), verified) == 200
        assert received.wait(BOUND)
    finally:
        subscription.close()


def test_a_busy_listener_port_is_refused_and_leaves_nothing(acme: MockArray) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        provider = connect(acme, _uri(taken.getsockname()[1]))
        with pytest.raises(InvalidArgument, match="listener=HOST:PORT"):
            provider.subscribe(lambda: None)
    assert all(not found for found in subscriptions(acme.conn, acme.f.interop).values())


def test_an_array_without_the_indication_profile_has_no_events() -> None:
    bolt = build_array(FLAVOURS["bolt"])
    uri = _uri(_free_port())
    session = Session(connect(bolt, uri), parse_uri(uri))
    assert Capability.EVENTS not in session.capabilities
    with pytest.raises(Unsupported, match="events"):
        session.subscribe(lambda: None)
    probe = Probe("bolt", lambda: session, on_event=lambda _probe: None)
    assert probe.sample().up  # polled, not subscribed
    probe.close()


def test_watch_observes_at_once_when_the_array_sends_an_indication(acme: MockArray) -> None:
    port = _free_port()
    uri = _uri(port)
    probe = Probe("east", lambda: Session(connect(acme, uri), parse_uri(uri)))
    events: queue.Queue[dict[str, Any]] = queue.Queue()
    watch = Watch([probe], 3600.0, events.put, rounds=2)
    done: list[int] = []
    thread = threading.Thread(target=lambda: done.append(watch.run()), daemon=True)
    thread.start()
    first = events.get(timeout=BOUND)  # the first poll: the seeded predicting disk
    assert (first["event"], first["code"]) == ("raised", "disk.predictive_failure")
    set_status(acme, "CIM_DiskDrive", "disk03", 6)
    assert export_indication(f"http://127.0.0.1:{port}", _alert()) == 200
    raised = events.get(timeout=BOUND)
    assert (raised["event"], raised["code"], raised["name"]) == ("raised", "disk.failed", "disk03")
    thread.join(BOUND)
    assert done == [0]  # two rounds, the second one asked for by the indication
    assert all(not found for found in subscriptions(acme.conn, acme.f.interop).values())
    assert json.dumps(raised)


def test_listener_options_are_checked(tmp_path: Path) -> None:
    from storplan.providers.smis.options import parse_options

    assert parse_options(parse_uri(_uri(5990))).listener == ("127.0.0.1", 5990)
    for bad in ("0.0.0.0:5990", "127.0.0.1", "127.0.0.1:0", "[::]:1"):
        with pytest.raises(InvalidArgument, match="listener"):
            parse_options(parse_uri(f"smis+https://admin@a:5989/?listener={bad}"))
    pem = tmp_path / "cert.pem"
    pem.write_text("x")
    with pytest.raises(InvalidArgument, match="go together"):
        parse_options(parse_uri(f"smis+https://admin@a:5989/?listener_cert={pem}"))
