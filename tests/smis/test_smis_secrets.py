"""The password never appears in logs, output, errors, job records or object representations.

Everything is captured at DEBUG level (storplan's loggers and pywbem's own API and HTTP
loggers, switched on at their most detailed) and searched for the password.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import pywbem
from mockarray.array import MockArray
from smishelpers import PASSWORD, URI, connect, thin_pool
from storplan.credentials import Secret
from storplan.errors import StorplanError
from storplan.model import Kind, to_dict
from storplan.providers.smis import SmisProvider
from storplan.session import Session
from storplan.uri import parse_uri
from tlsserver import Pki, TlsListener


@pytest.fixture
def pywbem_debug_logging() -> Iterator[None]:
    """pywbem's loggers at full detail, propagating to caplog; switched off afterwards."""
    pywbem.configure_logger("all", detail_level="all", connection=True, propagate=True)
    try:
        yield
    finally:
        pywbem.configure_logger("all", log_dest="off", connection=False, propagate=False)


def _everything(caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> str:
    out, err = capsys.readouterr()
    return caplog.text + "\n".join(r.getMessage() for r in caplog.records) + out + err


def test_secret_never_leaks_through_operations(
    mock_array: MockArray, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    provider = connect(mock_array)
    session = Session(provider, parse_uri(URI))
    pool = thin_pool(session.pools())
    volume = session.create_volume(pool, "leak-check", "4MiB", thin=False).result
    failures: list[StorplanError] = []
    for attempt in (
        lambda: session.create_volume(pool, "too-big", 1 << 49, thin=False),
        lambda: session.delete_volume("vol:nowhere:0"),
        lambda: session.job("job:no-such-job"),
    ):
        with pytest.raises(StorplanError) as failed:
            attempt()
        failures.append(failed.value)
    mock_array.jobs.fail_next = "simulated failure"
    with pytest.raises(StorplanError) as failed:
        session.resize_volume(volume, "8MiB")
    failures.append(failed.value)
    state = session.observe()
    dumped = json.dumps({k.value: [to_dict(o) for o in state.of(k)] for k in Kind})
    texts = [
        dumped,
        repr(state),
        repr(session.jobs()),
        repr(provider.__dict__),
        repr(provider.options),
        *(str(e) + repr(e.to_dict()) for e in failures),
        _everything(caplog, capsys),
    ]
    assert all(PASSWORD not in text for text in texts)


def test_secret_never_leaks_on_the_wire_path(
    pki: Pki,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    pywbem_debug_logging: None,
) -> None:
    """The real connection path: pywbem's HTTP log records the request, never the password;
    the authentication error says nothing about it either."""
    caplog.set_level(logging.DEBUG)
    with TlsListener(pki) as listener, pytest.raises(StorplanError) as refused:
        SmisProvider(
            parse_uri(f"smis+https://admin@127.0.0.1:{listener.port}/?ca_bundle={pki.ca}"),
            Secret(PASSWORD),
        )
    assert listener.seen.authorization == [True]  # the password was sent, over TLS only
    text = _everything(caplog, capsys) + str(refused.value) + repr(refused.value.to_dict())
    assert any(r.name.startswith("pywbem") for r in caplog.records), "pywbem logged nothing"
    assert PASSWORD not in text
    encoded = __import__("base64").b64encode(f"admin:{PASSWORD}".encode()).decode()
    assert encoded not in text  # not even as the Basic authorization header


def test_connection_objects_do_not_show_the_password(pki: Pki) -> None:
    from storplan.providers.smis.connection import open_connection
    from storplan.providers.smis.options import parse_options

    options = parse_options(parse_uri(f"smis+https://admin@array/?ca_bundle={pki.ca}"))
    conn: Any = open_connection(options, Secret(PASSWORD))
    try:
        assert PASSWORD not in repr(conn) + str(conn) + repr(options)
    finally:
        conn.close()


def test_array_error_texts_are_scrubbed(mock_array: MockArray) -> None:
    """Should an array ever echo the password in an error, storplan removes it."""
    provider = connect(mock_array)
    mock_array.jobs.fail_next = f"login admin/{PASSWORD} rejected by controller B"
    pool = thin_pool(provider.observe(frozenset({Kind.POOLS})).pools)
    try:
        job = provider.create_volume(pool.id, "echo", 1 << 22, True)
    except StorplanError as exc:  # a synchronous array fails the call itself
        message = str(exc)
    else:
        while not job.done:
            job = provider.job(job.id)
        assert job.error is not None
        message = job.error.message
    assert PASSWORD not in message and "login admin/*** rejected" in message
