"""TLS of the served API: clients verify the server with the test CA, and a server with
``tls.client_ca`` accepts only clients with a certificate from that CA.

Real: ``storplan serve`` processes (uvicorn's TLS), certificates made by the openssl command,
Python's ssl module as the client.
"""

from __future__ import annotations

import ssl
import urllib.error
from pathlib import Path

import pytest
from servehelpers import Client, Served, free_port, start, stop, write_config
from smis.tlsserver import Pki
from storplan.serve.tokens import TokenStore


def test_the_server_is_verified_with_the_test_ca_only(served: Served) -> None:
    token = served.tokens["read1"]
    assert Client(served.url, token, served.context()).get("/arrays")
    system_trust = Client(served.url, token, ssl.create_default_context())
    with pytest.raises(urllib.error.URLError) as failed:
        system_trust.request("GET", "/arrays")
    assert isinstance(failed.value.reason, ssl.SSLCertVerificationError)
    wrong_name = Client(f"https://localhost:{served.port}", token, served.context())
    with pytest.raises(urllib.error.URLError) as failed:  # the certificate is for 127.0.0.1
        wrong_name.request("GET", "/arrays")
    assert isinstance(failed.value.reason, ssl.SSLCertVerificationError)


def test_client_certificates_when_configured(tmp_path: Path, pki: Pki) -> None:
    """tls.client_ca requires a certificate; clients: maps its common name to an identity."""
    port = free_port()
    config = write_config(tmp_path, pki, port, {"a": f"sim://{tmp_path}/a.db"})
    text = config.read_text().replace("tls: {", f"tls: {{client_ca: {pki.client_ca}, ", 1)
    config.write_text(text + "clients: {storplan-client: {scope: read, arrays: [a]}}\n")
    _, token = TokenStore(str(tmp_path / "tokens.json")).create("t", "read", ("a",))
    process, _ = start(tmp_path, config)
    url = f"https://127.0.0.1:{port}"
    try:
        without = ssl.create_default_context(cafile=str(pki.ca))
        with pytest.raises((urllib.error.URLError, ConnectionError, ssl.SSLError)):
            Client(url, token, without).request("GET", "/arrays")
        with_cert = ssl.create_default_context(cafile=str(pki.ca))
        with_cert.load_cert_chain(str(pki.client_cert), str(pki.client_key))
        assert Client(url, token, with_cert).get("/arrays")[0]["name"] == "a"
        # The certificate's common name is mapped to an identity: no token needed, and its
        # scope holds (read: no operations); a bad token is refused, not replaced by it.
        certified = Client(url, None, with_cert)
        assert certified.get("/arrays/a")["name"] == "a"
        status, problem, _ = certified.request(
            "POST", "/arrays/a/operations/delete_pool", {"params": {"pool": "ssd"}}
        )
        assert status == 403 and "scope 'apply'" in problem["detail"]
        assert Client(url, "stp_bad_token", with_cert).request("GET", "/arrays")[0] == 401
    finally:
        stop(process)
