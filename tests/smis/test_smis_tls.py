"""TLS against a real listener on 127.0.0.1: verification by default, CA bundles, client
certificates, the loud ``insecure`` switch, and timeouts.

The production connection factory is used (a real ``pywbem.WBEMConnection``); the listener
answers HTTP 401, so reaching :class:`~storplan.errors.PermissionDenied` proves the TLS
handshake passed and the failure came from the WBEM/HTTP layer.
"""

from __future__ import annotations

import logging
import socket
import threading
from pathlib import Path

import pytest
from storplan.credentials import Secret
from storplan.errors import ConnectionFailed, PermissionDenied, Timeout
from storplan.providers.smis import SmisProvider
from storplan.uri import parse_uri
from tlsserver import Pki, TlsListener

PASSWORD = "tls-test-Pa55word-never-shown"


@pytest.fixture(autouse=True)
def hostile_environment(monkeypatch: pytest.MonkeyPatch, pki: Pki) -> None:
    """requests would let these variables replace the configured trust; storplan ignores
    them, so pointing them at the wrong CA (or the test CA) must change nothing."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)  # OpenSSL's own system-store override
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(pki.ca))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(pki.ca))


def connect(port: int, query: str = "") -> SmisProvider:
    uri = parse_uri(f"smis+https://admin@127.0.0.1:{port}/?timeout=10{query}")
    return SmisProvider(uri, Secret(PASSWORD))


def test_default_verification_refuses_a_self_signed_array(pki: Pki) -> None:
    with TlsListener(pki) as listener, pytest.raises(ConnectionFailed) as refused:
        connect(listener.port)
    message = str(refused.value)
    assert "certificate" in message and "verify failed" in message
    assert "ca_bundle" in refused.value.hint
    assert listener.seen.requests == []  # nothing, not even the password, was sent
    assert PASSWORD not in message


def test_ca_bundle_lets_the_handshake_pass(pki: Pki) -> None:
    with TlsListener(pki) as listener, pytest.raises(PermissionDenied) as refused:
        connect(listener.port, f"&ca_bundle={pki.ca}")
    assert listener.seen.requests == ["/cimom"]  # TLS passed; the WBEM layer answered 401
    assert listener.seen.authorization == [True]
    assert "refused the credentials" in str(refused.value)


def test_a_certificate_from_another_ca_is_refused(
    pki: Pki, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(pki.ca))  # the right CA, but not configured
    with TlsListener(pki) as listener, pytest.raises(ConnectionFailed, match="certificate"):
        connect(listener.port, f"&ca_bundle={pki.client_ca}")
    assert listener.seen.requests == []


def test_plain_http_warns_that_the_password_is_unencrypted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from storplan.providers.smis.connection import open_connection
    from storplan.providers.smis.options import parse_options

    caplog.set_level(logging.WARNING, logger="storplan")
    conn = open_connection(
        parse_options(parse_uri("smis+http://admin@127.0.0.1:5988/?insecure=true")), None
    )
    conn.close()
    assert "unencrypted" in caplog.records[0].getMessage()


def test_client_certificate_is_presented_when_configured(pki: Pki) -> None:
    with TlsListener(pki, require_client_cert=True) as listener:
        with pytest.raises(ConnectionFailed, match="TLS handshake") as refused:
            connect(listener.port, f"&ca_bundle={pki.ca}")
        assert "client_cert" in refused.value.hint
        assert listener.seen.requests == []
        with pytest.raises(PermissionDenied):
            connect(
                listener.port,
                f"&ca_bundle={pki.ca}&client_cert={pki.client_cert}&client_key={pki.client_key}",
            )
    assert listener.seen.client_subjects == ["storplan-client"]


def test_insecure_skips_verification_and_says_so_loudly(
    pki: Pki, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="storplan")
    with TlsListener(pki) as listener, pytest.raises(PermissionDenied):
        connect(listener.port, "&insecure=true")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings and "TLS verification is OFF" in warnings[0].getMessage()
    assert listener.seen.requests == ["/cimom"]


def test_every_request_has_a_timeout() -> None:
    """A server that accepts connections and never answers: the request times out."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        uri = parse_uri(
            f"smis+http://admin@127.0.0.1:{server.getsockname()[1]}/?insecure=true&timeout=1"
        )
        with pytest.raises(Timeout, match="did not answer in time"):
            SmisProvider(uri, Secret(PASSWORD))
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in accepted:
            conn.close()
        server.close()


def test_unreachable_array_is_a_connection_error(tmp_path: Path) -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    with pytest.raises(ConnectionFailed, match="cannot connect") as refused:
        connect(port)
    assert PASSWORD not in str(refused.value)
